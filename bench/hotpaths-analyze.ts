/**
 * Where an api CPU profile's time went (written by `node --cpu-prof`, e.g. bench/hotpaths-profile.ts PROF=1):
 *   node bench/hotpaths-analyze.ts <file.cpuprofile> [top=30] [skip seconds=0]
 * Busy time by owner (a package or one of our modules; node: internals and native frames are charged to
 * the caller that made node do them), self time by where the code lives, and the top functions.
 * Skip the first seconds to leave out process start (module loading) and warm-up.
 */
import { readFileSync } from 'node:fs';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the system a frame belongs to: a package, a module of ours, or node itself. */
function owner(f: Frame): string | null {
  const url = f.url;
  if (url === '') return f.functionName.startsWith('(') ? f.functionName : null; // native: the caller's
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? 'node_modules');
  }
  const src = /\/src\/(modules\/[^/]+|platform(?:\/[^/.]+)?|roles)/.exec(url);
  if (src !== null) return `src/${src[1]}`;
  if (url.startsWith('node:')) return null; // attributed to the caller
  return url.replace(/^file:\/\/\/work\/main\//, '');
}

export function analyze(file: string, top = 30, skipSeconds = 0): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < skipSeconds * 1e6) continue; // process start (module loading), warm-up
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const attributed = new Map<string, number>();
  const nodeSelf = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id);
    if (n === undefined || n.callFrame.functionName === '(idle)') continue;
    // node:* time goes to the nearest caller that is a package or ours (who made node do it)
    let cur: number | undefined = id;
    let who: string | null = null;
    while (cur !== undefined && who === null) {
      const f = byId.get(cur)?.callFrame;
      who = f === undefined ? null : owner(f);
      cur = parent.get(cur);
    }
    const key = who ?? 'node (no caller)';
    attributed.set(key, (attributed.get(key) ?? 0) + t);
    const direct = owner(n.callFrame) ?? (n.callFrame.url.replace(/^node:internal\//, 'node:') || 'native');
    nodeSelf.set(direct, (nodeSelf.get(direct) ?? 0) + t);
    const fn = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)} %`;
  const list = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => `  ${pct(t)}  ${k}`)
      .join('\n');
  return [
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${((100 * busy) / total).toFixed(0)} %`,
    'busy time by owner (node: internals charged to the package or module that called them):',
    list(attributed, 25),
    'self time by where the code lives:',
    list(nodeSelf, 20),
    'top functions (self):',
    list(fnSelf, top),
  ].join('\n');
}

const file = process.argv[2];
if (file === undefined)
  throw new Error('usage: node bench/hotpaths-analyze.ts <file.cpuprofile> [top] [skip seconds]');
console.log(analyze(file, Number(process.argv[3] ?? 30), Number(process.argv[4] ?? 0)));
