import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../src/modules/coupon/issuance/redis-state.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { type Actor, actor, actors, createCampaign, issue } from './support/actors.ts';

// The issue route counts the per-address limit inside its own script (per address and campaign) instead
// of the platform's separate Redis call: docs/decisions/0007-coupon-issuance.md.
const LIMIT = 25;
const ACCOUNT_LIMIT = 3;
let t: TestApp;
let admin: Actor;
let buyers: Actor[];

beforeAll(async () => {
  t = await startTestApp({
    RATE_LIMIT_IP_PER_SECOND: String(LIMIT),
    RATE_LIMIT_COUPON_ISSUE_ACCOUNT_PER_SECOND: String(ACCOUNT_LIMIT),
    DATABASE_POOL_MAX: '4',
  });
  admin = await actor(t, 'ADMIN');
  buyers = await actors(t, 'BUYER', 150);
});
afterAll(async () => t.close());

describe('per-address limit on coupon issue', () => {
  it('answers 429 with Retry-After over the limit, never over-issues, and lets the address in again', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 1000, perUserLimit: 1 });
    const started = Date.now();
    const replies = await Promise.all(buyers.slice(0, 120).map((b) => issue(t, id, b)));
    const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    const limited = replies.filter((r) => r.status === 429);
    const issued = replies.filter((r) => r.status === 202);
    expect(issued.length + limited.length).toBe(replies.length);
    // at most LIMIT per address per second, over the seconds the burst spanned
    expect(issued.length).toBeLessThanOrEqual(LIMIT * seconds);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // a refused request took no unit and left no grant: the grants are exactly the 202s
    const k = campaignKeys(id);
    expect(await t.rt.redis.hlen(k.grants)).toBe(issued.length);
    expect(Number(await t.rt.redis.get(k.stock))).toBe(1000 - issued.length);

    // after waiting Retry-After the address gets through
    await new Promise((r) => setTimeout(r, 1100));
    const again = await issue(t, id, buyers[130] as Actor);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
  });
});

describe('per-account limit on coupon issue', () => {
  it('one account hammering /issue gets 429 + Retry-After over the limit, others still get in, and it gets through after waiting', async () => {
    const id = await createCampaign(t, admin, { totalQuantity: 1000, perUserLimit: 100 });
    const hammer = buyers[140] as Actor;
    const started = Date.now();
    // 20 at once: under the per-address limit (25 per address and campaign), over the account's
    const replies = await Promise.all(Array.from({ length: 20 }, () => issue(t, id, hammer)));
    const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    const issued = replies.filter((r) => r.status === 202);
    const limited = replies.filter((r) => r.status === 429);
    expect(issued.length + limited.length, JSON.stringify(replies.map((r) => r.body))).toBe(20);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued.length).toBeLessThanOrEqual(ACCOUNT_LIMIT * seconds);
    for (const r of limited) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // the limit is the account's: another account on the same address gets through at once
    const other = await issue(t, id, buyers[141] as Actor);
    expect(other.status, JSON.stringify(other.body)).toBe(202);
    // a refused request took no unit: the grants are exactly the 202s
    expect(await t.rt.redis.hlen(campaignKeys(id).grants)).toBe(issued.length + 1);

    // a client that waits Retry-After gets through, and keeps getting through at the allowed rate
    const wait = Math.max(...limited.map((r) => Number(r.headers.get('retry-after'))));
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    const again = await issue(t, id, hammer);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
  });
});
