import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { accounts, createSale, join, joinAll, me, patchQueue, pool, queuePath } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  // one address (127.0.0.1) fires thousands of requests here: lift the per-IP limit for this app
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
});
afterAll(async () => t.close());

describe('joining the waiting room', () => {
  it('gives 5,000 concurrent joins distinct positions 1..5000 and distinct tickets; repeats change nothing', async () => {
    const sale = await createSale(t);
    const paused = await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body.paused).toBe(true);
    const buyers = await accounts(t, 5000);

    const started = Date.now();
    const joins = await joinAll(
      t,
      sale.scheduleId,
      buyers.map((b) => b.accessToken),
    );
    const joinMs = Date.now() - started;
    for (const j of joins) expect(j.status, JSON.stringify(j.body)).toBe(202);
    expect(joins.every((j) => j.body.state === 'WAITING' && j.body.paused)).toBe(true);
    const tickets = joins.map((j) => j.body.ticketNumber as number);
    expect(new Set(tickets).size).toBe(5000);
    const firstPositions = joins.map((j) => j.body.position as number);
    expect(new Set(firstPositions).size).toBe(5000);
    expect(Math.min(...firstPositions)).toBe(1);
    expect(Math.max(...firstPositions)).toBe(5000);

    // now (nobody admitted: paused) every user's position is its rank by ticket
    const reads = await pool(buyers, 200, (b) => me(t, sale.scheduleId, b.accessToken));
    const byTicket = reads.map((r, i) => ({
      ticket: tickets[i] as number,
      position: r.body.position as number,
    }));
    byTicket.sort((a, b) => a.ticket - b.ticket);
    byTicket.forEach((x, i) => {
      expect(x.position).toBe(i + 1);
    });
    for (const [i, r] of reads.entries()) {
      expect(r.body.position).toBeLessThanOrEqual(firstPositions[i] as number); // never rises
      expect(r.body.etaSeconds).toBeGreaterThanOrEqual(0);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }

    // 200 repeated joins from the same accounts (concurrently) change nothing
    const again = await joinAll(
      t,
      sale.scheduleId,
      buyers.slice(0, 200).map((b) => b.accessToken),
    );
    again.forEach((a, i) => {
      expect(a.status).toBe(202);
      expect(a.body.ticketNumber).toBe(tickets[i]);
      expect(a.body.position).toBe(reads[i]?.body.position);
    });
    const stats = await api(t.baseUrl, 'GET', `${queuePath(sale.scheduleId)}/stats`, {
      token: sale.seller.accessToken,
    });
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ waiting: 5000, active: 0, admittedTotal: 0, paused: true });

    // the journal holds every join, durably
    await t.modules.queue.flushJournal();
    const rows = await t.rt.db
      .selectFrom('queue_entries' as never)
      .select(({ fn }) => fn.countAll().as('n'))
      .where('schedule_id' as never, '=', sale.scheduleId as never)
      .executeTakeFirstOrThrow();
    expect(Number((rows as { n: unknown }).n)).toBe(5000);
    console.info(`5,000 concurrent joins took ${joinMs} ms through HTTP`);
  });

  it('answers the contract states and errors', async () => {
    const sale = await createSale(t);
    // admitters of other test files run on this database: keep this queue still
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const [a, b] = await accounts(t, 2);
    if (a === undefined || b === undefined) throw new Error('accounts');
    expect((await me(t, sale.scheduleId, a.accessToken)).body).toMatchObject({
      state: 'NONE',
      ticketNumber: null,
      position: null,
    });
    const ja = await join(t, sale.scheduleId, a.accessToken);
    const jb = await join(t, sale.scheduleId, b.accessToken);
    expect(jb.body.position).toBe((ja.body.position as number) + 1);
    // leaving moves the next one up, and frees the place
    expect(
      (await api(t.baseUrl, 'DELETE', `${queuePath(sale.scheduleId)}/me`, { token: a.accessToken })).status,
    ).toBe(204);
    expect((await me(t, sale.scheduleId, a.accessToken)).body.state).toBe('NONE');
    expect((await me(t, sale.scheduleId, b.accessToken)).body.position).toBe(ja.body.position);
    // a new join after leaving is a new place at the back
    const back = await join(t, sale.scheduleId, a.accessToken);
    expect(back.body.ticketNumber).toBeGreaterThan(jb.body.ticketNumber as number);
    // sellers cannot join (BUYER only); another seller may not change or read the queue
    expect((await join(t, sale.scheduleId, sale.seller.accessToken)).status).toBe(403);
    const [stranger] = await accounts(t, 1, 'SELLER');
    expect((await patchQueue(t, sale.scheduleId, stranger?.accessToken ?? '', { paused: true })).status).toBe(
      403,
    );
    expect(
      (
        await api(t.baseUrl, 'GET', `${queuePath(sale.scheduleId)}/stats`, {
          token: stranger?.accessToken ?? '',
        })
      ).status,
    ).toBe(403);
    // bad input never answers 500
    expect((await join(t, 'not-a-uuid', a.accessToken)).status).toBe(400);
    expect((await join(t, '00000000-0000-4000-8000-000000000000', a.accessToken)).status).toBe(404);
    expect((await patchQueue(t, sale.scheduleId, sale.seller.accessToken, {})).status).toBe(400);
    expect(
      (await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { admitPerSecond: 0 })).status,
    ).toBe(400);
    expect((await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { maxActive: 'x' })).status).toBe(
      400,
    );
    expect((await api(t.baseUrl, 'POST', queuePath(sale.scheduleId))).status).toBe(401);
    // closing: waiters see CLOSED, joins get 409
    await t.modules.queue.closeSchedule(sale.scheduleId, 'SOLD_OUT');
    expect((await me(t, sale.scheduleId, b.accessToken)).body).toMatchObject({
      state: 'CLOSED',
      closedReason: 'SOLD_OUT',
    });
    const [late] = await accounts(t, 1);
    const refused = await join(t, sale.scheduleId, late?.accessToken ?? '');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SOLD_OUT');
  });

  it('refuses joins after salesCloseAt with 409 SALES_CLOSED', async () => {
    const closesAt = new Date(Date.now() + 5000);
    const sale = await createSale(t, {
      salesOpenAt: new Date(Date.now() - 7200_000),
      salesCloseAt: closesAt,
    });
    await patchQueue(t, sale.scheduleId, sale.seller.accessToken, { paused: true });
    const [a, b] = await accounts(t, 2);
    expect((await join(t, sale.scheduleId, a?.accessToken ?? '')).status).toBe(202);
    await new Promise((r) => setTimeout(r, closesAt.getTime() - Date.now() + 200));
    const late = await join(t, sale.scheduleId, b?.accessToken ?? '');
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('SALES_CLOSED');
    expect((await me(t, sale.scheduleId, a?.accessToken ?? '')).body.state).toBe('CLOSED');
  });

  it('limits joins and polls per account with 429 and Retry-After', async () => {
    const sale = await createSale(t);
    const [a] = await accounts(t, 1);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => me(t, sale.scheduleId, a?.accessToken ?? '')),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // after waiting Retry-After, the client gets through
    await new Promise((r) => setTimeout(r, Number(limited[0]?.headers.get('retry-after')) * 1000));
    expect((await join(t, sale.scheduleId, a?.accessToken ?? '')).status).toBe(202);
  });

  it('limits one address per schedule (RATE_LIMIT_IP_PER_SECOND), many accounts behind it', async () => {
    const small = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '30' });
    try {
      const sale = await createSale(small);
      const buyers = await accounts(small, 80);
      const started = Date.now();
      const polls = await Promise.all(buyers.map((b) => me(small, sale.scheduleId, b.accessToken)));
      // a loaded machine may spread the 80 requests over more than two 1 s windows: 30 per window touched
      const windows = Math.floor((Date.now() - started) / 1000) + 2;
      const ok = polls.filter((p) => p.status === 200).length;
      const limited = polls.filter((p) => p.status === 429);
      expect(ok).toBeGreaterThanOrEqual(30);
      expect(ok).toBeLessThanOrEqual(30 * windows);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]?.headers.get('retry-after')).toBe('1');
    } finally {
      await small.close();
    }
  });
});
