import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, createPerformance, createVenue } from './support.ts';

/**
 * DELETE /performances asks booking's hasSales inside catalog's transaction: through that transaction,
 * never a second pool connection while it holds one. Otherwise concurrent deletes on a small pool each
 * hold a connection and wait for another, and none completes.
 */
let t: TestApp;
let seller: Actor;

beforeAll(async () => {
  t = await startTestApp({ DATABASE_POOL_MAX: '2' });
  seller = await actor(t, 'SELLER');
});
afterAll(async () => t.close());

describe('performance delete on a small pool', () => {
  it('12 concurrent deletes on a pool of 2 all answer 204', async () => {
    const venue = await createVenue(t, seller);
    const shows = [];
    for (let i = 0; i < 12; i++) shows.push(await createPerformance(t, seller, venue.id));
    const deletes = Promise.all(
      shows.map((p) => api(t.baseUrl, 'DELETE', `/api/v1/performances/${p.id}`, { token: seller.token })),
    );
    const answers = await Promise.race([
      deletes,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('deletes not done in 20 s (pool deadlock)')), 20_000).unref(),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(204));
  });
});
