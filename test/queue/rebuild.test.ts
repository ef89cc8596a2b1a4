import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Admitter, replayMatches } from '../../src/modules/queue/index.ts';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import {
  accounts,
  createSale,
  join,
  me,
  onlyOwn,
  patchQueue,
  pool,
  queuePath,
  waitFor,
  wipeQueueKeys,
} from './support.ts';

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

describe('durability', () => {
  it('rebuilds the queue after its Redis keys are wiped mid-sale: every waiter keeps its place and order', async () => {
    const sale = await createSale(t, {
      queue: { admitPerSecond: 50, maxActive: 12, admissionTtlSeconds: 600 },
    });
    const buyers = await accounts(t, 400);
    await pool(buyers, 100, (b) => join(t, sale.scheduleId, b.accessToken));
    // admission runs until the cap binds; a few waiters leave
    await waitFor(
      'the cap to bind',
      async () => (await t.modules.queue.stats(sale.scheduleId)).active === 12,
    );
    for (const b of buyers.slice(100, 110)) {
      await api(t.baseUrl, 'DELETE', `${queuePath(sale.scheduleId)}/me`, { token: b.accessToken });
    }
    // a leaver may have held a slot (tickets follow arrival, not this order): let the admitter refill it
    // before the snapshot, so nobody is admitted between the snapshot and the wipe
    await waitFor(
      'the cap to bind again',
      async () => (await t.modules.queue.stats(sale.scheduleId)).active === 12,
    );
    const before = await pool(buyers, 100, async (b) => (await me(t, sale.scheduleId, b.accessToken)).body);

    const removed = await wipeQueueKeys(t, sale.scheduleId); // Redis lost this queue
    expect(removed).toBeGreaterThan(3);

    const after = await pool(buyers, 100, async (b) => (await me(t, sale.scheduleId, b.accessToken)).body);
    const counts = { WAITING: 0, ADMITTED: 0, NONE: 0 } as Record<string, number>;
    before.forEach((x, i) => {
      const y = after[i];
      counts[x.state] = (counts[x.state] ?? 0) + 1;
      expect(y?.state).toBe(x.state);
      expect(y?.ticketNumber).toBe(x.ticketNumber);
      if (x.state === 'WAITING') expect(y?.position).toBe(x.position); // nobody admitted meanwhile: same place
      if (x.state === 'ADMITTED') expect(y?.expiresAt).toBe(x.expiresAt);
    });
    expect(counts).toEqual({ WAITING: 378, ADMITTED: 12, NONE: 10 });
    // relative order of waiters is the ticket order, before and after
    const waiting = after
      .filter((x) => x.state === 'WAITING')
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    expect(waiting.map((x) => x.position)).toEqual(waiting.map((_, i) => i + 1));
    expect(waiting.map((x) => x.ticketNumber)).toEqual(
      [...waiting.map((x) => x.ticketNumber)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );

    // admission carries on in the same order; a newcomer queues behind everyone
    const [late] = await accounts(t, 1);
    const lateJoin = await join(t, sale.scheduleId, late?.accessToken ?? '');
    expect(lateJoin.body.position).toBe(379);
    expect(lateJoin.body.ticketNumber).toBeGreaterThan(Math.max(...before.map((x) => x.ticketNumber ?? 0)));
    const firstWaiter = buyers[before.findIndex((x) => x.position === 1)];
    await t.modules.queue.releaseAdmission(
      sale.scheduleId,
      buyers[before.findIndex((x) => x.state === 'ADMITTED')]?.id ?? '',
      'PAID',
    );
    await waitFor('the first waiter to be admitted', async () => {
      const r = await me(t, sale.scheduleId, firstWaiter?.accessToken ?? '');
      return r.body.state === 'ADMITTED';
    });
  }, 60_000);

  it('draws the pre-queue at opening with a recorded seed that replays, ahead of later arrivals', async () => {
    const opensAt = new Date(Date.now() + 3000);
    const sale = await createSale(t, {
      salesOpenAt: opensAt,
      queue: { admitPerSecond: 50, maxActive: 100, admissionTtlSeconds: 600 },
    });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const early = await accounts(t, 60);
    const pre = await Promise.all(early.map((b) => join(t, sale.scheduleId, b.accessToken)));
    for (const p of pre) {
      expect(p.status).toBe(202);
      expect(p.body).toMatchObject({ state: 'PRE_QUEUE', position: null, opensAt: opensAt.toISOString() });
    }
    await new Promise((r) => setTimeout(r, opensAt.getTime() - Date.now() + 50));
    const late = await accounts(t, 10);
    const lateJoins = [];
    for (const b of late) lateJoins.push(await join(t, sale.scheduleId, b.accessToken));
    // later arrivals queue behind the whole pre-queue, first come first served
    expect(lateJoins.map((j) => j.body.position)).toEqual(Array.from({ length: 10 }, (_, i) => 61 + i));

    const draw = await waitFor('the draw', async () => {
      const { rows } = await sql<{
        seed: string;
        algorithm: string;
        participant_tickets: string[];
        participant_users: string[];
        result_tickets: string[];
      }>`select * from queue_draws where schedule_id = ${sale.scheduleId}`.execute(t.rt.db);
      return rows[0];
    });
    const record = {
      seed: draw.seed,
      algorithm: draw.algorithm,
      participantTickets: draw.participant_tickets.map(Number),
      participantUsers: draw.participant_users,
      resultTickets: draw.result_tickets.map(Number),
    };
    expect(replayMatches(record)).toBe(true);
    expect([...record.participantTickets].sort((a, b) => a - b)).toEqual(
      pre.map((p) => p.body.ticketNumber as number).sort((a, b) => a - b),
    );
    expect(record.resultTickets).not.toEqual(record.participantTickets);

    const positions = async () =>
      Promise.all(early.map(async (b) => (await me(t, sale.scheduleId, b.accessToken)).body));
    const drawn = await waitFor('drawn positions', async () => {
      const views = await positions();
      return views.every((v) => v.state === 'WAITING') ? views : null;
    });
    // the pre-queue holds positions 1..60 in exactly the recorded order
    const byPosition = [...drawn].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    expect(byPosition.map((v) => v.position)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(byPosition.map((v) => v.ticketNumber)).toEqual(record.resultTickets);
    for (const b of late)
      expect((await me(t, sale.scheduleId, b.accessToken)).body.position).toBeGreaterThan(60);

    // the drawn order survives losing Redis too
    await wipeQueueKeys(t, sale.scheduleId);
    const rebuilt = await positions();
    expect(rebuilt.map((v) => v.position)).toEqual(drawn.map((v) => v.position));
  }, 60_000);
});
