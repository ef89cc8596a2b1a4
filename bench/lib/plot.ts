/** A small SVG of the on-sale timeline: queue length, admission rate, seats, latency (no dependencies). */
import type { OnSaleResult } from '../scenario/onsale.ts';

interface Series {
  key: string;
  label: string;
  color: string;
}
interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

const PANELS: Panel[] = [
  {
    title: 'Queue',
    unit: 'users',
    series: [
      { key: 'waiting', label: 'waiting', color: '#1f77b4' },
      { key: 'active', label: 'admitted now (active)', color: '#ff7f0e' },
    ],
  },
  {
    title: 'Admission rate',
    unit: 'users/s',
    series: [{ key: 'admittedPerSecond', label: 'admitted per second', color: '#2ca02c' }],
  },
  {
    title: 'Seats',
    unit: 'seats',
    series: [
      { key: 'sold', label: 'sold', color: '#d62728' },
      { key: 'held', label: 'held', color: '#9467bd' },
      { key: 'available', label: 'available', color: '#8c564b' },
    ],
  },
  {
    title: 'Latency of buyer requests',
    unit: 'ms',
    series: [
      { key: 'p50', label: 'p50', color: '#17becf' },
      { key: 'p99', label: 'p99', color: '#e377c2' },
    ],
  },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const nice = (v: number) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
};

export function renderPlot(r: OnSaleResult): string {
  const rows = r.timeline;
  const W = 900;
  const H = 190;
  const left = 70;
  const right = 20;
  const top = 40;
  const gap = 30;
  const tMax = Math.max(1, ...rows.map((x) => x.t ?? 0));
  const px = (t: number) => left + ((W - left - right) * t) / tMax;
  const out: string[] = [];
  const height = top + PANELS.length * (H + gap) + 30;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${esc(
      `On-sale: ${r.buyers.toLocaleString('en')} buyers, ${((rows[0]?.available ?? 0) + (rows[0]?.held ?? 0) + (rows[0]?.sold ?? 0)).toLocaleString('en')} seats, admit ${r.admitPerSecond}/s, maxActive ${r.maxActive} (x: seconds after opening)`,
    )}</text>`,
  );
  PANELS.forEach((panel, i) => {
    const y0 = top + i * (H + gap);
    const max = nice(Math.max(1, ...panel.series.flatMap((s) => rows.map((x) => x[s.key] ?? 0))));
    const py = (v: number) => y0 + H - (H * v) / max;
    out.push(
      `<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`,
    );
    out.push(
      `<rect x="${left}" y="${y0}" width="${W - left - right}" height="${H}" fill="none" stroke="#ccc"/>`,
    );
    for (const f of [0, 0.5, 1]) {
      const v = max * f;
      out.push(`<line x1="${left}" x2="${W - right}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`);
      out.push(
        `<text x="${left - 6}" y="${py(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en')}</text>`,
      );
    }
    const step = nice(tMax / 10);
    for (let t = 0; t <= tMax; t += step) {
      out.push(`<text x="${px(t)}" y="${y0 + H + 13}" text-anchor="middle">${t}</text>`);
    }
    panel.series.forEach((s, j) => {
      const pts = rows.map((x) => `${px(x.t ?? 0).toFixed(1)},${py(x[s.key] ?? 0).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts}"/>`);
      const lx = W - right - 170;
      const ly = y0 + 14 + j * 14;
      out.push(
        `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
      );
      out.push(`<text x="${lx + 24}" y="${ly}">${esc(s.label)}</text>`);
    });
    if (r.soldOutAfterSeconds !== null) {
      const x = px(r.soldOutAfterSeconds);
      out.push(
        `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + H}" stroke="#d62728" stroke-dasharray="4 3"/>`,
      );
      if (i === 0) out.push(`<text x="${x + 4}" y="${y0 + 12}" fill="#d62728">sold out</text>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
