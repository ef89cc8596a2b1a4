/** Grafana dashboard JSON: structure Grafana needs to import it, and every query's PromQL for promtool. */
type Panel = {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { expr?: string; refId?: string }[];
};

export interface DashboardCheck {
  problems: string[];
  queries: { panel: string; expr: string }[];
}

export function checkDashboard(text: string): DashboardCheck {
  const problems: string[] = [];
  const queries: { panel: string; expr: string }[] = [];
  let dash: { uid?: string; title?: string; panels?: Panel[]; templating?: { list?: { name: string }[] } };
  try {
    dash = JSON.parse(text);
  } catch (error) {
    return { problems: [`dashboard: not JSON: ${String(error)}`], queries };
  }
  if (!dash.uid || !dash.title) problems.push('dashboard: uid and title are required');
  const vars = new Set((dash.templating?.list ?? []).map((v) => v.name));
  const ids = new Set<number>();
  for (const p of dash.panels ?? []) {
    const name = `panel ${p.id} "${p.title}"`;
    if (typeof p.id !== 'number' || ids.has(p.id))
      problems.push(`dashboard: ${name}: id missing or duplicated`);
    else ids.add(p.id);
    const g = p.gridPos;
    if (g === undefined || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) {
      problems.push(`dashboard: ${name}: gridPos must fit the 24-column grid`);
    }
    if (p.type === 'row') continue;
    if (p.datasource?.uid !== `\${datasource}`)
      problems.push(`dashboard: ${name}: datasource must be \${datasource}`);
    if ((p.targets ?? []).length === 0) problems.push(`dashboard: ${name}: no queries`);
    for (const t of p.targets ?? []) {
      if (!t.expr) {
        problems.push(`dashboard: ${name}: a target without expr`);
        continue;
      }
      for (const m of t.expr.matchAll(/\$([a-zA-Z_]+)/g)) {
        const v = m[1] as string;
        if (!v.startsWith('__') && !vars.has(v))
          problems.push(`dashboard: ${name}: variable $${v} is not defined`);
      }
      queries.push({ panel: name, expr: t.expr });
    }
  }
  return { problems, queries };
}

/** The dashboard's queries as recording rules, Grafana variables filled in, for `promtool check rules`. */
export function queriesAsRules(queries: readonly { panel: string; expr: string }[]): string {
  const fill = (e: string) =>
    e
      .replaceAll('$__rate_interval', '1m')
      .replaceAll('$__range', '1h')
      .replaceAll('$__interval', '1m')
      .replace(/\$[a-zA-Z_]+/g, '.*');
  const rules = queries.map(
    (q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(fill(q.expr))}`,
  );
  return `groups:\n  - name: dashboard-queries\n    rules:\n${rules.join('\n')}\n`;
}
