import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Metric names the alerts and the dashboard use but no module registers yet. A name here that the
 * code now registers fails the check (remove it from this set); a referenced name that is neither
 * registered nor here fails too, so a renamed metric cannot leave a silent panel or a dead alert.
 * Module engineers: register these exactly (docs/operations.md#metrics).
 */
export const PLANNED_METRICS: ReadonlySet<string> = new Set([
  'qt_holds_active', // gauge {schedule_id}: live seat holds, from shared state (dashboards take max)
  'qt_payment_attempts_total', // counter {outcome=approved|declined|error|unknown}: confirm calls to the provider
]);

/** Metrics that no module registers: Prometheus' own, prom-client's process defaults, kube-state-metrics. */
const EXTERNAL = /^(up|process_[a-z0-9_]+|nodejs_[a-z0-9_]+|kube_[a-z0-9_]+)$/;

/** Metric names in PromQL: an identifier directly followed by a `{` selector (every query here has one). */
export function metricNamesIn(promql: string): string[] {
  const names = [...promql.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1] as string);
  return names.map((n) => n.replace(/_bucket$/, ''));
}

/** Every single-quoted identifier in src/: the names passed to the metric constructors. */
export async function registeredNames(srcDir: string): Promise<Set<string>> {
  const names = new Set<string>();
  const files = (await readdir(srcDir, { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = await readFile(join(srcDir, file), 'utf8');
    for (const m of text.matchAll(/['"]([a-z][a-z0-9_]*)['"]/g)) names.add(m[1] as string);
  }
  return names;
}

export function checkMetricNames(
  referenced: Map<string, Set<string>>,
  registered: Set<string>,
  planned: ReadonlySet<string> = PLANNED_METRICS,
): string[] {
  const problems: string[] = [];
  for (const [name, where] of referenced) {
    if (EXTERNAL.test(name) || registered.has(name) || planned.has(name)) continue;
    problems.push(
      `metric ${name} (used in ${[...where].join(', ')}) is registered nowhere in src/ and not planned`,
    );
  }
  for (const name of planned) {
    if (registered.has(name)) {
      problems.push(
        `metric ${name} is now registered in src/: remove it from PLANNED_METRICS (scripts/deploy-check/metrics.ts)`,
      );
    }
    if (!referenced.has(name)) problems.push(`planned metric ${name} is used by no alert or panel: drop it`);
  }
  return problems;
}
