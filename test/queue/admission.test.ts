import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, me, onlyOwn, patchQueue, queuePath, waitFor } from './support.ts';

let t: TestApp;
let admitter: Admitter;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
  admitter = t.modules.queue.createAdmitter({ discoverMs: 200, accept: onlyOwn });
  admitter.start();
});
afterAll(async () => {
  await admitter.stop();
  await t.close();
});

interface Admission {
  user_id: string;
  ticket_number: number;
  admitted: number;
  expires: number;
  ended: number | null;
}

/** Admissions of a schedule from the journal, with Redis-clock times in ms. */
async function admissions(scheduleId: string): Promise<Admission[]> {
  const { rows } = await sql<Admission>`
    select user_id, ticket_number,
      (extract(epoch from admitted_at) * 1000)::float8 as admitted,
      (extract(epoch from expires_at) * 1000)::float8 as expires,
      (extract(epoch from ended_at) * 1000)::float8 as ended
    from queue_entries where schedule_id = ${scheduleId} and admitted_at is not null
    order by admitted_at, ticket_number`.execute(t.rt.db);
  return rows.map((r) => ({
    ...r,
    admitted: Number(r.admitted),
    expires: Number(r.expires),
    ended: r.ended === null ? null : Number(r.ended),
  }));
}

const stats = async (scheduleId: string, token: string) =>
  (await api(t.baseUrl, 'GET', `${queuePath(scheduleId)}/stats`, { token })).body as Record<string, number>;

describe('admission', () => {
  it('never exceeds maxActive at any instant nor the rate in any 1 s window, and admits smoothly in order', async () => {
    const rate = 20;
    const maxActive = 8;
    const sale = await createSale(t, { queue: { admitPerSecond: rate, maxActive, admissionTtlSeconds: 10 } });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const buyers = await accounts(t, 90);
    const tickets = new Map<string, number>();
    for (const b of buyers)
      tickets.set(b.id, (await join(t, sale.scheduleId, b.accessToken)).body.ticketNumber as number);
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: false });

    // Buyers poll; once admitted each one pays (slot released) or leaves after a short while, as real
    // buyers do; meanwhile the live counters are sampled.
    const done = new Set<string>();
    const samples: Record<string, number>[] = [];
    const sampler = (async () => {
      while (done.size < buyers.length) {
        samples.push(await stats(sale.scheduleId, sale.seller.accessToken));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const deadline = Date.now() + 40_000;
    await Promise.all(
      buyers.map(async (b, i) => {
        while (Date.now() < deadline) {
          const r = await me(t, sale.scheduleId, b.accessToken);
          if (r.body.state === 'ADMITTED') break;
          await new Promise((res) => setTimeout(res, 150 + Math.random() * 100));
        }
        await new Promise((res) => setTimeout(res, 400 + Math.random() * 400));
        if (i % 2 === 0) await t.modules.queue.releaseAdmission(sale.scheduleId, b.id, 'PAID');
        else await api(t.baseUrl, 'DELETE', `${queuePath(sale.scheduleId)}/me`, { token: b.accessToken });
        done.add(b.id);
      }),
    );
    await sampler;
    for (const s of samples) expect(s.active).toBeLessThanOrEqual(maxActive);
    expect(samples.some((s) => (s.active ?? 0) === maxActive)).toBe(true); // the cap was actually reached

    const list = await waitFor('journal of admissions', async () => {
      const rows = await admissions(sale.scheduleId);
      return rows.length === 90 && rows.every((r) => r.ended !== null) ? rows : null;
    });
    // exactly once each, in queue order (FIFO by ticket)
    expect(new Set(list.map((a) => a.user_id)).size).toBe(90);
    const byTime = [...list].sort((a, b) => a.admitted - b.admitted || a.ticket_number - b.ticket_number);
    expect(byTime.map((a) => Number(a.ticket_number))).toEqual([...tickets.values()].sort((a, b) => a - b));
    // rate: any window [t, t+1000) starting at an admission holds at most `rate` admissions
    for (const a of byTime) {
      const inWindow = byTime.filter(
        (b) => b.admitted >= a.admitted && b.admitted < a.admitted + 1000,
      ).length;
      expect(inWindow).toBeLessThanOrEqual(rate);
    }
    // concurrency: at every admission instant, live slots (admitted ≤ t < freed) ≤ maxActive
    for (const a of byTime) {
      const live = byTime.filter(
        (b) => b.admitted <= a.admitted && Math.min(b.expires, b.ended ?? b.expires) > a.admitted,
      );
      expect(live.length).toBeLessThanOrEqual(maxActive);
    }
    // smooth: one tick admits at most rate/10 (no 3-second lumps)
    const perTick = new Map<number, number>();
    for (const a of byTime) perTick.set(a.admitted, (perTick.get(a.admitted) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBeLessThanOrEqual(Math.ceil(rate / 10));
    console.info(
      `admission: ${list.length} admitted over ${((byTime.at(-1)?.admitted ?? 0) - (byTime[0]?.admitted ?? 0)).toFixed(0)} ms, ` +
        `max active sampled ${Math.max(...samples.map((s) => s.active ?? 0))}/${maxActive}, ${samples.length} samples`,
    );
  }, 60_000);

  it('rejects a lapsed admission; retain keeps it, release and leave free the slot', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 50, maxActive: 10, admissionTtlSeconds: 10 },
    });
    const [a, b, c] = await accounts(t, 3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('accounts');
    for (const x of [a, b, c]) await join(t, sale.scheduleId, x.accessToken);
    const admitted = async (token: string) =>
      waitFor('admission', async () => {
        const r = await me(t, sale.scheduleId, token);
        return r.body.state === 'ADMITTED' ? r.body : null;
      });
    const [va, vb, vc] = await Promise.all([
      admitted(a.accessToken),
      admitted(b.accessToken),
      admitted(c.accessToken),
    ]);
    const q = t.modules.queue;
    expect(await q.verifyAdmission(va.admissionToken ?? '', sale.scheduleId, a.id)).toBe(true);
    expect(await q.verifyAdmission(va.admissionToken ?? '', sale.scheduleId, b.id)).toBe(false); // not b's
    expect(
      await q.verifyAdmission(va.admissionToken ?? '', '00000000-0000-4000-8000-000000000000', a.id),
    ).toBe(false);
    expect(await q.verifyAdmission('garbage', sale.scheduleId, a.id)).toBe(false);

    // b holds seats: its slot is retained past the TTL; c pays: its slot is freed at once
    await q.retainAdmission(sale.scheduleId, b.id, Date.now() + 14_000);
    await q.releaseAdmission(sale.scheduleId, c.id, 'PAID');
    expect(await q.verifyAdmission(vc.admissionToken ?? '', sale.scheduleId, c.id)).toBe(false);
    expect((await me(t, sale.scheduleId, c.accessToken)).body.state).toBe('NONE');

    await new Promise((r) => setTimeout(r, Date.parse(va.expiresAt ?? '') - Date.now() + 300));
    expect(await q.verifyAdmission(va.admissionToken ?? '', sale.scheduleId, a.id)).toBe(false);
    expect((await me(t, sale.scheduleId, a.accessToken)).body.state).toBe('EXPIRED');
    const bNow = await me(t, sale.scheduleId, b.accessToken);
    expect(bNow.body.state).toBe('ADMITTED');
    expect(Date.parse(bNow.body.expiresAt ?? '')).toBeGreaterThan(Date.now() + 3000);
    // the token served now covers the retained slot
    expect(await q.verifyAdmission(bNow.body.admissionToken ?? '', sale.scheduleId, b.id)).toBe(true);
    expect(vb.admissionToken).toBeDefined();

    // leaving frees b's slot
    const before = await stats(sale.scheduleId, sale.seller.accessToken);
    expect(before.active).toBe(1);
    expect(
      (await api(t.baseUrl, 'DELETE', `${queuePath(sale.scheduleId)}/me`, { token: b.accessToken })).status,
    ).toBe(204);
    expect((await stats(sale.scheduleId, sale.seller.accessToken)).active).toBe(0);
    // an expired user may join again: a new place at the back
    const again = await join(t, sale.scheduleId, a.accessToken);
    expect(again.status).toBe(202);
    expect(again.body.ticketNumber).toBeGreaterThan(va.ticketNumber ?? 0);
  }, 40_000);

  it('applies PATCH pause and rate changes within 1 s', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 40, maxActive: 1000, admissionTtlSeconds: 60 },
    });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const buyers = await accounts(t, 120);
    for (const b of buyers) await join(t, sale.scheduleId, b.accessToken);
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: false });
    await new Promise((r) => setTimeout(r, 800));
    const slowAt = Date.now();
    const slowed = await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { admitPerSecond: 5 });
    expect(slowed.body).toMatchObject({ admitPerSecond: 5, paused: false });
    await new Promise((r) => setTimeout(r, 2500));
    const pausedAt = Date.now();
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    await new Promise((r) => setTimeout(r, 1500));
    await t.modules.queue.flushJournal();
    const list = await admissions(sale.scheduleId);
    // after the rate change took effect (≤ 1 s), any 1 s window holds ≤ 5
    const late = list.filter((a) => a.admitted >= slowAt + 1000);
    for (const a of late) {
      expect(
        late.filter((b) => b.admitted >= a.admitted && b.admitted < a.admitted + 1000).length,
      ).toBeLessThanOrEqual(5);
    }
    expect(list.filter((a) => a.admitted > pausedAt + 1000)).toHaveLength(0);
    const s = await stats(sale.scheduleId, sale.seller.accessToken);
    expect(s.paused).toBe(true);
    expect((await me(t, sale.scheduleId, buyers[119]?.accessToken ?? '')).body.paused).toBe(true);
  }, 30_000);
});
