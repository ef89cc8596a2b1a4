import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admitter } from '../../src/modules/queue/index.ts';
import { spawnApiProcess } from '../support/api-process.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { type Block, eventsOf, readStream } from './sse-reader.ts';
import { accounts, createSale, join, me, onlyOwn, patchQueue, queuePath, waitFor } from './support.ts';

/**
 * SIGTERM to a real api process (`node src/main.ts api`) holding waiting-room and seat streams: every
 * stream gets an SSE `retry:` hint (jittered) and ends cleanly before the server closes, the process
 * exits 0 well before the forced exit; the clients then resume on a second api process with
 * Last-Event-ID: positions never rise, ids go on, an admission granted meanwhile is delivered.
 */

let t: TestApp;
let admitter: Admitter;
let child: ChildProcess | undefined;
beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_IP_PER_SECOND: '1000000' });
  admitter = t.modules.queue.createAdmitter({ discoverMs: 200, accept: onlyOwn });
  admitter.start();
});
afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await admitter.stop();
  await t.close();
});

const lastId = (blocks: Block[]) => Number([...blocks].reverse().find((b) => b.id !== undefined)?.id);

describe('SSE drain on shutdown', () => {
  it('ends every stream with a jittered retry hint; clients resume on another process losing nothing', async () => {
    const buyers = await accounts(t, 4);
    const sale = await createSale(t, {
      queue: { admitPerSecond: 1, maxActive: 100, admissionTtlSeconds: 600 },
    });
    const seller = sale.seller.accessToken;
    expect((await patchQueue(t, sale.scheduleId, seller, { paused: true })).status).toBe(200);
    for (const b of buyers) expect((await join(t, sale.scheduleId, b.accessToken)).status).toBe(202);

    const { proc, base, output, exited } = await spawnApiProcess(300);
    child = proc;
    await waitFor(
      'the api process',
      async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok,
      45_000,
    );

    const streamUrl = (b: string, token: string) =>
      `${b}${queuePath(sale.scheduleId)}/stream?access_token=${encodeURIComponent(token)}`;
    const first = buyers.map((b) => readStream(streamUrl(base, b.accessToken)));
    const seats = readStream(`${base}/api/v1/schedules/${sale.scheduleId}/seats/stream`);
    await waitFor('a position event on every stream', async () =>
      first.every((s) => eventsOf(s.blocks, 'position').length > 0),
    );
    await waitFor('the seat snapshot', async () => eventsOf(seats.blocks, 'snapshot').length > 0);
    const positions = first.map((s) =>
      Number(JSON.parse(eventsOf(s.blocks, 'position')[0]?.data ?? '{}').position),
    );
    expect(positions).toEqual([1, 2, 3, 4]);

    const signalled = Date.now();
    proc.kill('SIGTERM');
    await Promise.all([...first.map((s) => s.done), seats.done]);
    const [code, signal] = await exited;
    expect({ code, signal }, output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(10_000);

    const hints: number[] = [];
    for (const s of [...first, seats]) {
      expect(s.outcome()).toBe('ended');
      const final = s.blocks[s.blocks.length - 1];
      expect(final?.retry, JSON.stringify(s.blocks)).toMatch(/^\d+$/);
      expect(final?.event).toBeUndefined();
      hints.push(Number(final?.retry));
    }
    for (const h of hints) expect(h).toBeGreaterThanOrEqual(1000);
    expect(new Set(hints).size).toBeGreaterThan(1); // jittered, not one delay for all
    expect(output()).toContain('queue streams drained');

    // Meanwhile the first in line is admitted (the admitter runs elsewhere).
    expect((await patchQueue(t, sale.scheduleId, seller, { paused: false })).status).toBe(200);
    const admitted = await waitFor('the first admission', async () => {
      const v = await me(t, sale.scheduleId, buyers[0]?.accessToken ?? '');
      return v.body.state === 'ADMITTED' ? v.body : null;
    });
    await patchQueue(t, sale.scheduleId, seller, { paused: true });

    // Resume on the second process with Last-Event-ID, after the shortest hint (as EventSource would;
    // it also keeps the polls above and the reconnect apart under the per-account limit).
    await new Promise((r) => setTimeout(r, Math.min(...hints)));
    const second = buyers.map((b, i) =>
      readStream(streamUrl(t.baseUrl, b.accessToken), {
        'last-event-id': String(lastId(first[i]?.blocks ?? [])),
      }),
    );
    await waitFor('the current state on every resumed stream', async () =>
      second.every((s) => eventsOf(s.blocks, 'position').length + eventsOf(s.blocks, 'admitted').length > 0),
    );
    const got = eventsOf(second[0]?.blocks ?? [], 'admitted')[0];
    expect(JSON.parse(got?.data ?? '{}')).toMatchObject({ expiresAt: admitted.expiresAt });
    second.forEach((s, i) => {
      const firstId = Number(s.blocks.find((b) => b.id !== undefined)?.id);
      expect(firstId).toBe(lastId(first[i]?.blocks ?? []) + 1);
      for (const p of eventsOf(s.blocks, 'position')) {
        expect(JSON.parse(p.data ?? '{}').position).toBeLessThanOrEqual(positions[i] ?? 0);
      }
    });
  });
});
