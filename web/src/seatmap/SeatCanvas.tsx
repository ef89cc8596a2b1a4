import {
  type KeyboardEvent,
  type MouseEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { gradeColor, SEAT_HELD, SEAT_SELECTED, SEAT_SOLD } from '../components/grades.ts';
import { useI18n } from '../i18n/I18n.tsx';
import { AVAILABLE, HELD, type SeatMapModel, STAGE } from './model.ts';

interface Props {
  model: SeatMapModel;
  /** bumps whenever seat statuses change (the model is mutated in place) */
  version: number;
  selected: ReadonlySet<number>;
  gradeIndex: ReadonlyMap<string, number>;
  describe(i: number): string;
  onToggle(i: number): void;
}

const MIN_CELL = 2;
/** Below this a click zooms in on the spot instead of choosing a seat (too small to aim at). */
const PICKABLE_CELL = 7;
const ZOOMED_CELL = 14;
const MAX_CELL = 24;

/**
 * The seat map on a canvas, virtualised: a transparent scroller (with a spacer as big as the whole
 * map) sits over a canvas the size of the viewport, and only the cells in view are drawn, so a
 * 50,000-seat map scrolls and updates smoothly. Keyboard: arrows move, PageUp/PageDown change
 * section, Home goes to the first seat, Enter/Space select; the focused seat is announced.
 */
export function SeatCanvas({ model, version, selected, gradeIndex, describe, onToggle }: Props) {
  const { t } = useI18n();
  const wrapper = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  const [zoom, setZoom] = useState(1);
  const [focus, setFocus] = useState(-1);
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null);
  const frame = useRef(0);

  // cells may be fractional: "fit" uses the whole width
  const fit = Math.max(MIN_CELL, size.w > 0 ? (size.w - 2) / (model.width + 1) : 10);
  const cell = Math.min(MAX_CELL, Math.max(MIN_CELL, fit * zoom));
  /** A map narrower than the viewport is centred: the pixels left of it. */
  const inset = useCallback(
    (viewport: number) => Math.max(0, (viewport - (model.width + 1) * cell) / 2),
    [model, cell],
  );
  // where to keep the map point under the pointer after a zoom: map units and viewport pixels
  const anchor = useRef<{ ux: number; uy: number; x: number; y: number } | null>(null);
  useLayoutEffect(() => {
    const a = anchor.current;
    const sc = scroller.current;
    if (a === null || sc === null) return;
    anchor.current = null;
    sc.scrollLeft = (a.ux + 0.5) * cell - a.x;
    sc.scrollTop = (a.uy + 0.5) * cell - a.y;
  }, [cell]);

  useEffect(() => {
    const el = wrapper.current;
    if (el === null) return;
    const observer = new ResizeObserver(() => {
      const inner = scroller.current;
      setSize({ w: inner?.clientWidth ?? el.clientWidth, h: inner?.clientHeight ?? el.clientHeight });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const draw = useCallback(() => {
    const c = canvas.current;
    const sc = scroller.current;
    if (c === null || sc === null) return;
    const ctx = c.getContext('2d');
    if (ctx === null) return;
    const dpr = window.devicePixelRatio || 1;
    const w = sc.clientWidth;
    const h = sc.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const ox = sc.scrollLeft - cell / 2 - inset(w);
    const oy = sc.scrollTop - cell / 2;
    const pad = cell >= 10 ? 1 : cell >= 5 ? 0.5 : 0;
    const fontPx = Math.max(9, Math.min(15, Math.round(cell * 2.2)));
    ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
    // the stage, so the map reads the right way up
    ctx.fillStyle = '#1f2937';
    ctx.fillRect(-ox, -oy, model.width * cell, STAGE * cell);
    if (STAGE * cell >= fontPx) {
      ctx.fillStyle = '#ffffff';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(t('venue.stage'), -ox + (model.width * cell) / 2, -oy + (STAGE * cell) / 2);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    for (const b of model.blocks) {
      const bx = b.x * cell - ox;
      const by = b.y * cell - oy;
      const bw = b.cols * cell;
      const bh = b.rows.length * cell;
      if (bx > w || by - 2 * cell > h || bx + bw < 0 || by + bh < 0) continue;
      ctx.fillStyle = '#1f2937';
      if (cell * 4 >= fontPx) ctx.fillText(b.name, Math.max(bx, 2), by - 2);
      const c0 = Math.max(0, Math.floor(-bx / cell));
      const c1 = Math.min(b.cols, Math.ceil((w - bx) / cell));
      const r0 = Math.max(0, Math.floor(-by / cell));
      const r1 = Math.min(b.rows.length, Math.ceil((h - by) / cell));
      const available = gradeColor(gradeIndex.get(b.grade) ?? 0);
      for (let r = r0; r < r1; r += 1) {
        for (let col = c0; col < c1; col += 1) {
          const i = b.grid[r * b.cols + col] ?? -1;
          if (i < 0) continue;
          const st = model.status[i];
          ctx.fillStyle = selected.has(i)
            ? SEAT_SELECTED
            : st === AVAILABLE
              ? available
              : st === HELD
                ? SEAT_HELD
                : SEAT_SOLD;
          // whole pixels: fractional cells would leave anti-aliased seams between seats
          const x0 = Math.round(bx + col * cell + pad);
          const y0 = Math.round(by + r * cell + pad);
          ctx.fillRect(
            x0,
            y0,
            Math.round(bx + (col + 1) * cell - pad) - x0,
            Math.round(by + (r + 1) * cell - pad) - y0,
          );
        }
      }
    }
    for (const [i, color] of [
      [hover?.i ?? -1, '#f59e0b'],
      [focus, '#111827'],
    ] as const) {
      if (i < 0) continue;
      const p = model.position(i);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.strokeRect(p.x * cell - ox - 1, p.y * cell - oy - 1, cell + 2, cell + 2);
    }
  }, [model, cell, selected, gradeIndex, focus, hover, t, inset]);

  const schedule = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(draw);
  }, [draw]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version and size changes redraw
  useEffect(schedule, [schedule, version, size]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const seatAt = (event: MouseEvent<HTMLDivElement>): { i: number; x: number; y: number } => {
    const sc = event.currentTarget;
    const rect = sc.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const ux = (x - inset(sc.clientWidth) + sc.scrollLeft) / cell - 0.5;
    return { i: model.hit(ux, (y + sc.scrollTop) / cell - 0.5), x, y };
  };

  const moveFocus = (i: number) => {
    if (i < 0) return;
    setFocus(i);
    const sc = scroller.current;
    if (sc === null) return;
    const p = model.position(i);
    const px = (p.x + 0.5) * cell;
    const py = (p.y + 0.5) * cell;
    if (px < sc.scrollLeft || px + cell > sc.scrollLeft + sc.clientWidth)
      sc.scrollLeft = px - sc.clientWidth / 2;
    if (py < sc.scrollTop || py + cell > sc.scrollTop + sc.clientHeight)
      sc.scrollTop = py - sc.clientHeight / 2;
  };

  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const from = focus >= 0 ? focus : model.jumpBlock(0, 0);
    const target = (): number | null => {
      switch (event.key) {
        case 'ArrowLeft':
          return model.step(from, -1, 0);
        case 'ArrowRight':
          return model.step(from, 1, 0);
        case 'ArrowUp':
          return model.step(from, 0, -1);
        case 'ArrowDown':
          return model.step(from, 0, 1);
        case 'PageDown':
          return model.jumpBlock(from, 1);
        case 'PageUp':
          return model.jumpBlock(from, -1);
        case 'Home':
          return model.jumpBlock(0, 0);
        default:
          return null;
      }
    };
    const next = target();
    if (next !== null) {
      event.preventDefault();
      moveFocus(focus < 0 ? from : next);
    } else if ((event.key === 'Enter' || event.key === ' ') && from >= 0) {
      event.preventDefault();
      setFocus(from);
      onToggle(from);
    }
  };

  const spacer = { width: (model.width + 1) * cell, height: (model.height + 1) * cell };
  return (
    <div className="seatmap">
      <fieldset className="seatmap-tools">
        <legend className="visually-hidden">{t('seats.zoom')}</legend>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoom((z) => Math.max(MIN_CELL / fit, z / 1.5))}
        >
          {t('seats.zoomOut')}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setZoom(1)}>
          {t('seats.zoomFit')}
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoom((z) => Math.min(MAX_CELL / fit, z * 1.5))}
        >
          {t('seats.zoomIn')}
        </button>
      </fieldset>
      <div className="seatmap-stage" ref={wrapper} style={{ height: Math.min(spacer.height + 24, 640) }}>
        {/* drawing only: the scroller over it is the seat-map widget (keyboard, label, announcements) */}
        {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: a canvas without tabindex takes no focus */}
        <canvas ref={canvas} aria-hidden="true" />
        <div
          ref={scroller}
          className="seatmap-scroller"
          role="application"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: role=application is the focusable seat-map widget
          tabIndex={0}
          aria-label={t('seats.mapLabel')}
          aria-describedby="seatmap-help"
          data-testid="seat-map"
          onScroll={schedule}
          onKeyDown={onKey}
          onClick={(e) => {
            const { i, x, y } = seatAt(e);
            if (cell < PICKABLE_CELL) {
              // too small to aim at: zoom in on this spot first
              const sc = e.currentTarget;
              anchor.current = {
                ux: (x - inset(sc.clientWidth) + sc.scrollLeft) / cell - 0.5,
                uy: (y + sc.scrollTop) / cell - 0.5,
                x,
                y,
              };
              setZoom(ZOOMED_CELL / fit);
            } else if (i >= 0) {
              setFocus(i);
              onToggle(i);
            }
          }}
          onMouseMove={(e) => {
            const at = seatAt(e);
            setHover(at.i >= 0 ? at : null);
          }}
          onMouseLeave={() => setHover(null)}
        >
          <div style={spacer} />
        </div>
        {hover !== null ? (
          <div className="seat-tip" style={{ left: hover.x + 12, top: hover.y + 12 }} aria-hidden="true">
            {describe(hover.i)}
          </div>
        ) : null}
      </div>
      <p id="seatmap-help" className="muted small">
        {t('seats.help')}
      </p>
      <p className="visually-hidden" aria-live="polite" data-testid="seat-focus">
        {focus >= 0 ? describe(focus) : ''}
      </p>
    </div>
  );
}
