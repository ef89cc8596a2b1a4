import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createHold } from '../../api/booking.ts';
import { getPerformance, getSeatMap } from '../../api/catalog.ts';
import { isApiError } from '../../api/client.ts';
import { queueMe } from '../../api/queue.ts';
import type { Hold, StandingView } from '../../api/types.ts';
import { Countdown } from '../../components/Countdown.tsx';
import { describeError, ErrorMessage } from '../../components/ErrorMessage.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RequireRole } from '../../components/RequireRole.tsx';
import { useI18n } from '../../i18n/I18n.tsx';
import { formatWon } from '../../lib/format.ts';
import { useAsync, withRetry } from '../../lib/hooks.ts';
import { Link, useRouter } from '../../lib/router.tsx';
import { useAction } from '../../lib/useAction.ts';
import { type Admission, loadAdmission, saveAdmission } from '../../queue/admission.ts';
import { saveHoldContext } from '../../queue/hold-context.ts';
import { Legend } from '../../seatmap/Legend.tsx';
import { AVAILABLE, SeatMapModel } from '../../seatmap/model.ts';
import { SeatCanvas } from '../../seatmap/SeatCanvas.tsx';
import { SelectionPanel } from '../../seatmap/SelectionPanel.tsx';
import { StandingPanel } from '../../seatmap/StandingPanel.tsx';
import { applyStanding, useSeatStream } from '../../seatmap/useSeatStream.ts';

/** The admission from the waiting room (this tab), else asked again from `queue/me`. */
async function findAdmission(scheduleId: string): Promise<Admission | null> {
  const saved = loadAdmission(scheduleId);
  if (saved !== null && new Date(saved.expiresAt).getTime() > Date.now()) return saved;
  const me = await queueMe(scheduleId).catch(() => null);
  if (me?.state !== 'ADMITTED' || !me.admissionToken || !me.expiresAt) return null;
  const admission = { token: me.admissionToken, expiresAt: me.expiresAt };
  saveAdmission(scheduleId, admission);
  return admission;
}

function SeatsInner({ performanceId, scheduleId }: { performanceId: string; scheduleId: string }) {
  const { t, lang } = useI18n();
  const { navigate } = useRouter();
  const perf = useAsync(() => withRetry(() => getPerformance(performanceId)), [performanceId]);
  const map = useAsync(() => withRetry(() => getSeatMap(scheduleId)), [scheduleId]);
  const admission = useAsync(() => findAdmission(scheduleId), [scheduleId]);
  const grades = perf.data?.grades ?? [];
  const gradeOrder = grades.map((g) => g.grade).join('|');
  const model = useMemo(
    () => (map.data ? new SeatMapModel(map.data.seats, gradeOrder.split('|')) : null),
    [map.data, gradeOrder],
  );
  const gradeIndex = useMemo(() => new Map(gradeOrder.split('|').map((g, i) => [g, i])), [gradeOrder]);
  const [standing, setStanding] = useState<StandingView[]>([]);
  useEffect(() => setStanding(map.data?.standing ?? []), [map.data]);
  const onStanding = useCallback(
    (changes: { sectionId: string; available: number | null }[]) =>
      setStanding((s) => applyStanding(s, changes)),
    [],
  );
  const { version, live } = useSeatStream(scheduleId, model, onStanding);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const limit = Math.min(8, perf.data?.maxTicketsPerBuyer ?? 4);

  const describe = useCallback(
    (i: number) => {
      const s = model?.seats[i];
      if (!s || !model) return '';
      const state = model.status[i] === AVAILABLE ? t('seats.available') : t('seats.unavailable');
      return t('seats.describe', {
        section: s.section,
        row: s.row,
        number: s.number,
        grade: s.grade,
        price: formatWon(s.price, lang),
        state,
      });
    },
    [model, t, lang],
  );

  const seatLabel = useCallback(
    (i: number) => {
      const s = model?.seats[i];
      return s ? t('seats.short', { section: s.section, row: s.row, number: s.number, grade: s.grade }) : '';
    },
    [model, t],
  );

  // Someone else took a seat we had chosen: drop it and say so.
  const lastVersion = useRef(version);
  useEffect(() => {
    if (model === null || version === lastVersion.current) return;
    lastVersion.current = version;
    const lost = [...selected].filter((i) => model.status[i] !== AVAILABLE);
    if (lost.length === 0) return;
    setSelected(new Set([...selected].filter((i) => !lost.includes(i))));
    setNotice(t('seats.taken', { seats: lost.map(seatLabel).join(', ') }));
  }, [version, model, selected, seatLabel, t]);

  const toggle = (i: number) => {
    if (model === null) return;
    setNotice(null);
    if (selected.has(i)) {
      setSelected(new Set([...selected].filter((x) => x !== i)));
    } else if (model.status[i] !== AVAILABLE) {
      setNotice(t('seats.notAvailable', { seat: seatLabel(i) }));
    } else if (selected.size >= limit) {
      setNotice(t('seats.limitReached', { n: limit }));
    } else {
      setSelected(new Set([...selected, i]));
    }
  };

  const hold = async (
    body: { seatIds: number[] } | { sectionId: string; quantity: number },
    labels: string[],
  ) => {
    const token = admission.data?.token;
    if (!token || model === null) return;
    setNotice(null);
    await run(async () => {
      try {
        const h: Hold = await createHold(scheduleId, token, body);
        saveHoldContext(h.holdId, { performanceId, scheduleId, labels });
        navigate(`/checkout/${h.holdId}`);
      } catch (err) {
        if (!(isApiError(err) && err.code === 'SEATS_UNAVAILABLE')) throw err;
        // taken meanwhile: grey them out and drop them from the choice
        const ids = (err.problem.unavailableSeatIds as number[] | undefined) ?? [];
        model.apply(ids.map((id) => ({ id, status: 'HELD' })));
        const lost = ids.map((id) => model.indexOf(id)).filter((i) => i >= 0);
        setSelected(new Set([...selected].filter((i) => !lost.includes(i))));
        setNotice(t('seats.taken', { seats: lost.map(seatLabel).join(', ') || t('seats.some') }));
      }
    });
  };

  if (perf.error || map.error) {
    return (
      <section className="panel narrow">
        <ErrorMessage error={perf.error ?? map.error} />
        <button
          type="button"
          className="btn"
          onClick={() => {
            perf.reload();
            map.reload();
          }}
        >
          {t('common.retry')}
        </button>
      </section>
    );
  }
  if (!perf.data || !model || admission.loading) return <Loading />;
  if (admission.data === null || admission.data === undefined) {
    return (
      <section className="panel narrow">
        <h1>{t('seats.title')}</h1>
        <p className="alert alert-warn">{t('seats.needAdmission')}</p>
        <Link className="btn btn-primary" to={`/performances/${performanceId}/schedules/${scheduleId}/queue`}>
          {t('seats.toQueue')}
        </Link>
      </section>
    );
  }
  const counts = model.countsByGrade();
  return (
    <div className="seats-page">
      <header className="seats-head">
        <h1>{t('seats.title')}</h1>
        <p className="muted">
          {perf.data.title} ·{' '}
          <span className={live ? 'live' : 'offline'} data-testid="seat-live">
            {live ? t('seats.live') : t('seats.connecting')}
          </span>
        </p>
        <Countdown
          until={admission.data.expiresAt}
          label={t('queue.admissionLeft')}
          testId="admission-countdown"
        />
      </header>
      <Legend grades={grades} available={counts} />
      {notice ? (
        <p className="alert alert-warn" role="alert" data-testid="seat-notice">
          {notice}
        </p>
      ) : null}
      {error ? (
        <p className="alert alert-error" role="alert">
          {describeError(error, t)}{' '}
          {isApiError(error) && error.code === 'ADMISSION_REQUIRED' ? (
            <Link to={`/performances/${performanceId}/schedules/${scheduleId}/queue`}>
              {t('seats.toQueue')}
            </Link>
          ) : null}
        </p>
      ) : null}
      <div className="seats-layout">
        <SeatCanvas
          model={model}
          version={version}
          selected={selected}
          gradeIndex={gradeIndex}
          describe={describe}
          onToggle={toggle}
        />
        <div>
          <SelectionPanel
            model={model}
            grades={grades}
            selected={selected}
            limit={limit}
            busy={busy}
            describe={seatLabel}
            onRemove={(i) => setSelected(new Set([...selected].filter((x) => x !== i)))}
            onPick={(picked) => {
              setNotice(picked.length === 0 ? t('seats.noneFree') : null);
              setSelected(new Set(picked));
            }}
            onHold={() =>
              void hold(
                { seatIds: [...selected].map((i) => model.seats[i]?.id ?? 0) },
                [...selected].map(seatLabel),
              )
            }
          />
          <StandingPanel
            sections={standing}
            limit={limit}
            busy={busy}
            onHold={(sectionId, quantity) => {
              const name = standing.find((s) => s.sectionId === sectionId)?.section ?? '';
              void hold({ sectionId, quantity }, [t('seats.standingLabel', { section: name, n: quantity })]);
            }}
          />
        </div>
      </div>
    </div>
  );
}

export function SeatsPage(props: { performanceId: string; scheduleId: string }) {
  return (
    <RequireRole roles={['BUYER']}>
      <SeatsInner {...props} />
    </RequireRole>
  );
}
