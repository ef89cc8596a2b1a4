export interface Series {
  label: string;
  color: string;
  values: number[];
}

/** A small SVG line chart (one y-axis per series, scaled to its own max); described in text for readers. */
export function LineChart({
  series,
  description,
  height = 160,
}: {
  series: Series[];
  description: string;
  height?: number;
}) {
  const width = 600;
  const pad = 4;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => pad + (i / (n - 1)) * (width - 2 * pad);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={description} preserveAspectRatio="none">
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} x1={0} x2={width} y1={height * f} y2={height * f} stroke="#e5e7eb" strokeWidth={1} />
        ))}
        {series.map((s) => {
          const max = Math.max(1, ...s.values);
          const points = s.values
            .map(
              (v, i) =>
                `${x(i + (n - s.values.length)).toFixed(1)},${(height - pad - (v / max) * (height - 2 * pad)).toFixed(1)}`,
            )
            .join(' ');
          return <polyline key={s.label} points={points} fill="none" stroke={s.color} strokeWidth={2.5} />;
        })}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.label}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}
            {s.values.length > 0 ? ` (max ${Math.max(...s.values).toFixed(1)})` : ''}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
