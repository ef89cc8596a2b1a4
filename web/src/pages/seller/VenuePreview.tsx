import { useI18n } from '../../i18n/I18n.tsx';

interface Block {
  name: string;
  kind: 'SEATED' | 'STANDING';
  rows: number;
  seatsPerRow: number;
  capacity: number;
}

/** A to-scale sketch of the sections (one unit per seat), with the stage on top. */
export function VenuePreview({ sections }: { sections: Block[] }) {
  const { t } = useI18n();
  const gap = 4;
  let x = 0;
  const laid = sections.map((s) => {
    const w =
      s.kind === 'STANDING'
        ? Math.max(8, Math.ceil(Math.sqrt(s.capacity) * 1.5))
        : Math.max(1, s.seatsPerRow);
    const h = s.kind === 'STANDING' ? Math.max(4, Math.ceil(s.capacity / w)) : Math.max(1, s.rows);
    const block = { ...s, x, w, h };
    x += w + gap;
    return block;
  });
  const width = Math.max(10, x - gap);
  const height = Math.max(...laid.map((b) => b.h), 4) + 10;
  return (
    <figure className="venue-preview">
      <svg viewBox={`-2 -2 ${width + 4} ${height + 4}`} role="img" aria-label={t('venue.preview')}>
        <rect x={0} y={0} width={width} height={4} fill="#1f2937" rx={1} />
        <text x={width / 2} y={2.9} fontSize={Math.min(3, width / 8)} fill="#fff" textAnchor="middle">
          {t('venue.stage')}
        </text>
        {laid.map((b, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a preview of rows edited in place
          <g key={i} transform={`translate(${b.x} 8)`}>
            <rect
              width={b.w}
              height={b.h}
              fill={b.kind === 'STANDING' ? '#fde68a' : '#c7d2fe'}
              stroke="#4338ca"
              strokeWidth={0.3}
            />
            <text
              x={b.w / 2}
              y={Math.min(b.h / 2 + 1, b.h - 0.5)}
              fontSize={Math.max(0.8, Math.min(3, b.h * 0.6, (b.w / Math.max(1, b.name.length)) * 1.6))}
              textAnchor="middle"
              fill="#111827"
            >
              {b.name}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="muted small">{t('venue.previewCaption')}</figcaption>
    </figure>
  );
}
