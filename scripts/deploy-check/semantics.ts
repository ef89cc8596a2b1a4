import { readFile } from 'node:fs/promises';
import type { K8sObject } from './k8s.ts';

export const ROLES = ['api', 'admitter', 'relay', 'worker'] as const;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Every env key the programs read: the keys of the config schemas (parsed from source, no import side effects). */
export async function knownConfigKeys(root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const file of ['src/platform/config.ts', 'src/ops/alert-notifier/config.ts']) {
    const text = await readFile(`${root}/${file}`, 'utf8');
    for (const m of text.matchAll(/^\s{2}([A-Z][A-Z0-9_]+): Type\./gm)) keys.add(m[1] as string);
  }
  return keys;
}

const matches = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Cross-object rules a schema cannot see: selectors, references, probes, roles, budgets. */
export function checkK8sSemantics(objects: readonly K8sObject[], configKeys: Set<string>): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = byKind('Deployment');
  const configMaps = new Map(byKind('ConfigMap').map((o) => [o.name, obj(o.body.data)]));
  const secrets = new Map(
    byKind('Secret').map((o) => [o.name, { ...obj(o.body.data), ...obj(o.body.stringData) }]),
  );
  const hpaTargets = new Map(
    byKind('HorizontalPodAutoscaler').map((o) => [str(obj(obj(o.body.spec).scaleTargetRef).name), o]),
  );
  const podTemplates = [...deployments, ...byKind('Job')].map((o) => ({
    o,
    pod: obj(obj(obj(o.body.spec).template).spec),
    labels: obj(obj(obj(obj(o.body.spec).template).metadata).labels),
  }));
  const say = (o: K8sObject, message: string) => problems.push(`${o.file}: ${o.kind} ${o.name}: ${message}`);

  for (const [name, data] of [...configMaps, ...secrets]) {
    for (const key of Object.keys(data)) {
      if (!configKeys.has(key))
        problems.push(`ConfigMap/Secret ${name}: ${key} is no configuration key the app reads`);
    }
  }
  const drainMs = Number(configMaps.get('queueticket-config')?.SHUTDOWN_DRAIN_MS ?? 0);

  for (const { o, pod, labels } of podTemplates) {
    const spec = obj(o.body.spec);
    if (o.kind === 'Deployment' && !matches(obj(obj(spec.selector).matchLabels), labels)) {
      say(o, 'spec.selector.matchLabels does not select the pod template labels');
    }
    if (obj(pod.securityContext).runAsNonRoot !== true)
      say(o, 'pod securityContext.runAsNonRoot must be true');
    for (const c of arr(pod.containers).map(obj)) {
      const where = `container ${str(c.name)}`;
      for (const from of arr(c.envFrom).map(obj)) {
        const cm = str(obj(from.configMapRef).name);
        const secret = str(obj(from.secretRef).name);
        if (cm !== undefined && !configMaps.has(cm))
          say(o, `${where}: envFrom ConfigMap ${cm} is not defined`);
        if (secret !== undefined && !secrets.has(secret))
          say(o, `${where}: envFrom Secret ${secret} is not defined`);
      }
      for (const env of arr(c.env).map(obj)) {
        const ref = obj(obj(env.valueFrom).secretKeyRef);
        const secret = secrets.get(str(ref.name) ?? '');
        if (Object.keys(ref).length > 0 && (secret === undefined || !(String(ref.key) in secret))) {
          say(
            o,
            `${where}: env ${str(env.name)} refers to a missing Secret key ${str(ref.name)}/${str(ref.key)}`,
          );
        }
        if (!configKeys.has(String(env.name)))
          say(o, `${where}: env ${str(env.name)} is no configuration key`);
      }
      const resources = obj(c.resources);
      if (
        Object.keys(obj(resources.requests)).length === 0 ||
        Object.keys(obj(resources.limits)).length === 0
      ) {
        say(o, `${where}: resources.requests and resources.limits are required`);
      }
      if (obj(c.securityContext).allowPrivilegeEscalation !== false) {
        say(o, `${where}: securityContext.allowPrivilegeEscalation must be false`);
      }
      const role = str(arr(c.args)[0]);
      if (o.kind !== 'Deployment' || role === undefined || !ROLES.includes(role as (typeof ROLES)[number]))
        continue;
      const ports = new Set(arr(c.ports).map((p) => str(obj(p).name)));
      const probe = (name: string) => obj(obj(c[name]).httpGet);
      if (probe('readinessProbe').path !== '/readyz') say(o, `${where}: readinessProbe must GET /readyz`);
      if (probe('livenessProbe').path !== '/healthz') say(o, `${where}: livenessProbe must GET /healthz`);
      for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const port = probe(name).port;
        if (typeof port === 'string' && !ports.has(port))
          say(o, `${where}: ${name} port ${port} is not a named port`);
      }
      const grace = Number(pod.terminationGracePeriodSeconds ?? 30);
      if (grace * 1000 < drainMs + 15_000) {
        say(
          o,
          `terminationGracePeriodSeconds ${grace} is shorter than SHUTDOWN_DRAIN_MS + 15 s of ordered shutdown`,
        );
      }
      if (hpaTargets.has(o.name) && spec.replicas !== undefined) {
        say(o, 'spec.replicas is set while an HPA scales this Deployment (every apply would reset it)');
      }
    }
  }
  const roles = new Set(
    deployments.flatMap((o) =>
      arr(obj(obj(obj(o.body.spec).template).spec).containers).map((c) => str(arr(obj(c).args)[0])),
    ),
  );
  for (const role of ROLES) if (!roles.has(role)) problems.push(`no Deployment runs the ${role} role`);

  for (const o of byKind('Service')) {
    const selector = obj(obj(o.body.spec).selector);
    const target = podTemplates.find((p) => p.o.kind === 'Deployment' && matches(selector, p.labels));
    if (target === undefined) {
      say(o, 'selector matches no Deployment');
      continue;
    }
    const names = new Set(
      arr(target.pod.containers).flatMap((c) => arr(obj(c).ports).map((p) => obj(p).name)),
    );
    for (const port of arr(obj(o.body.spec).ports).map(obj)) {
      if (typeof port.targetPort === 'string' && !names.has(port.targetPort)) {
        say(o, `targetPort ${port.targetPort} is not a container port of ${target.o.name}`);
      }
    }
  }
  for (const o of byKind('HorizontalPodAutoscaler')) {
    const ref = obj(obj(o.body.spec).scaleTargetRef);
    if (!deployments.some((d) => d.name === ref.name))
      say(o, `scaleTargetRef ${String(ref.name)} is not defined`);
  }
  for (const o of byKind('PodDisruptionBudget')) {
    const spec = obj(o.body.spec);
    const target = podTemplates.find(
      (p) => p.o.kind === 'Deployment' && matches(obj(obj(spec.selector).matchLabels), p.labels),
    );
    if (target === undefined) {
      say(o, 'selector matches no Deployment');
      continue;
    }
    const hpa = hpaTargets.get(target.o.name);
    const replicas = Number(
      hpa === undefined ? (obj(target.o.body.spec).replicas ?? 1) : obj(hpa.body.spec).minReplicas,
    );
    if (typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas) {
      say(o, `minAvailable ${spec.minAvailable} >= ${replicas} replicas: no node could ever be drained`);
    }
  }
  return problems;
}

/** The compose file: each role a service of the one image with its role argument and a /readyz healthcheck. */
export function checkCompose(compose: Obj, configKeys: Set<string>): string[] {
  const problems: string[] = [];
  const services = obj(compose.services);
  for (const role of ROLES) {
    const s = obj(services[role]);
    if (Object.keys(s).length === 0) {
      problems.push(`compose: no ${role} service`);
      continue;
    }
    if (str(arr(s.command)[0]) !== role) problems.push(`compose: ${role} must run with command ["${role}"]`);
    if (!String(arr(obj(s.healthcheck).test).join(' ')).includes('/readyz')) {
      problems.push(`compose: ${role} healthcheck must call /readyz`);
    }
    if (s.image !== obj(services.api).image) problems.push(`compose: ${role} must use the api's image`);
  }
  for (const name of ['postgres', 'redis', 'kafka']) {
    if (Object.keys(obj(obj(services[name]).healthcheck)).length === 0) {
      problems.push(`compose: ${name} needs a healthcheck (roles wait for it)`);
    }
  }
  for (const [name, service] of Object.entries(services)) {
    const image = str(obj(service).image) ?? '';
    if (!image.startsWith('queueticket')) continue;
    for (const key of Object.keys(obj(obj(service).environment))) {
      if (!configKeys.has(key))
        problems.push(`compose: ${name}: ${key} is no configuration key the app reads`);
    }
  }
  const kafkaImage = str(obj(services.kafka).image) ?? '';
  if (!kafkaImage.startsWith('apache/kafka:4'))
    problems.push('compose: kafka must be apache/kafka 4.x (KRaft)');
  return problems;
}
