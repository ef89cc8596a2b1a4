/** The faults of `make chaos`: what each injects, from the opening of the sale on. */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { call } from './fixtures.ts';
import type { OwnRedis } from './own-redis.ts';
import type { RoleProcess, Stack, System, SystemOptions } from './system.ts';

export interface ChaosContext {
  sys: System;
  stack: Stack;
  own: OwnRedis | null;
  sellerToken: string;
  adminToken: string;
  injected: string[];
  log: (s: string) => void;
}

export interface Scenario {
  name: string;
  what: string;
  ownRedis?: 'aof' | 'memory';
  system?: SystemOptions;
  env?: Record<string, string>;
  inject(ctx: ChaosContext, info: { scheduleId: string; opensAt: number }): Promise<void>;
}

const since = (opensAt: number) => `t+${((Date.now() - opensAt) / 1000).toFixed(1)} s`;

async function stats(ctx: ChaosContext, scheduleId: string) {
  const r = await call<{ admittedTotal: number; waiting: number; active: number }>(
    ctx.sys.api.url,
    'GET',
    `/api/v1/schedules/${scheduleId}/queue/stats`,
    { token: ctx.sellerToken },
  );
  return r.body;
}

async function killAndRestart(ctx: ChaosContext, p: RoleProcess, opensAt: number, downMs: number) {
  const pid = p.pid;
  await p.stop('SIGKILL');
  ctx.log(`SIGKILL ${p.name} (pid ${pid}) at ${since(opensAt)}`);
  await sleep(downMs);
  await p.start();
  ctx.log(`${p.name} restarted (pid ${p.pid}) at ${since(opensAt)}`);
}

async function outboxRate(stack: Stack): Promise<number> {
  const c = new pg.Client({ connectionString: stack.databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      "select count(*) as n from outbox where created_at > now() - interval '2 seconds'",
    );
    return Number(r.rows[0]?.n ?? 0) / 2;
  } finally {
    await c.end();
  }
}

/** The admitter leading this schedule, from each admitter's /metrics. */
export async function leaderOf(admitters: RoleProcess[], scheduleId: string): Promise<RoleProcess | null> {
  for (const a of admitters) {
    if (!a.running) continue;
    const text = await (await fetch(`${a.url}/metrics`)).text();
    if (new RegExp(`queue_admitter_leader\\{[^}]*schedule_id="${scheduleId}"[^}]*\\} 1`).test(text)) return a;
  }
  return null;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'worker-kill',
    what: 'The worker (Kafka consumers: coupon store, settlement ledger, …) is SIGKILLed twice mid-batch and restarted.',
    async inject(ctx, { opensAt }) {
      const w = ctx.sys.workers[0] as RoleProcess;
      await sleep(4000);
      await killAndRestart(ctx, w, opensAt, 3000);
      await sleep(5000);
      await killAndRestart(ctx, w, opensAt, 2000);
    },
  },
  {
    name: 'relay-kill',
    what: 'The outbox relay is SIGKILLed twice while it publishes (Kafka transactions in flight) and restarted.',
    async inject(ctx, { opensAt }) {
      const r = ctx.sys.relays[0] as RoleProcess;
      await sleep(4000);
      ctx.log(`outbox rows/s at kill time ≈ ${(await outboxRate(ctx.stack)).toFixed(0)}`);
      await killAndRestart(ctx, r, opensAt, 3000);
      await sleep(5000);
      await killAndRestart(ctx, r, opensAt, 2000);
    },
  },
  {
    name: 'admitter-leader-kill',
    what: 'Two admitters; the one leading the sale is SIGKILLed mid-admission; the other must take over.',
    system: { admitters: 2 },
    async inject(ctx, { scheduleId, opensAt }) {
      await sleep(5000);
      const leader = await leaderOf(ctx.sys.admitters, scheduleId);
      if (leader === null) {
        ctx.log('no leader found in /metrics; nothing killed');
        return;
      }
      const before = (await stats(ctx, scheduleId)).admittedTotal;
      const pid = leader.pid;
      await leader.stop('SIGKILL');
      const killedAt = Date.now();
      ctx.log(`SIGKILL leader ${leader.name} (pid ${pid}) at ${since(opensAt)}, admittedTotal ${before}`);
      let resumed: number | null = null;
      while (Date.now() - killedAt < 30_000) {
        const s = await stats(ctx, scheduleId);
        if (s.admittedTotal > before + 1 || s.waiting === 0) {
          resumed = Date.now() - killedAt;
          break;
        }
        await sleep(200);
      }
      const next = await leaderOf(ctx.sys.admitters, scheduleId);
      ctx.log(
        resumed === null
          ? 'admission did not resume within 30 s'
          : `admission resumed ${(resumed / 1000).toFixed(1)} s later, leader now ${next?.name ?? 'unknown'}`,
      );
      await leader.start();
      ctx.log(`${leader.name} restarted as a stand-by at ${since(opensAt)}`);
    },
  },
  {
    name: 'provider-slow-failing',
    what: 'The payment provider turns slow (1.5 s ± 1 s) and failing (30 % retryable errors, 5 % timeouts, 5 % unclear outcomes on confirm; 20 % failing cancels) for 25 s.',
    env: { TOSS_TIMEOUT_MS: '2500' },
    async inject(ctx, { opensAt }) {
      const key = ctx.stack.env.TOSS_SECRET_KEY ?? '';
      const auth = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
      await sleep(2000);
      const r = await call(ctx.sys.providerUrl, 'PUT', '/sandbox/toss/admin/settings', {
        headers: auth,
        body: {
          latencyMs: 1500,
          latencyJitterMs: 1000,
          timeoutMs: 5000,
          confirm: { failureRate: 0.3, timeoutRate: 0.05, unknownRate: 0.05 },
          cancel: { failureRate: 0.2 },
        },
      });
      ctx.log(`sandbox slow + failing at ${since(opensAt)} (HTTP ${r.status})`);
      await sleep(25_000);
      const d = await call(ctx.sys.providerUrl, 'DELETE', '/sandbox/toss/admin/settings', { headers: auth });
      ctx.log(`sandbox back to normal at ${since(opensAt)} (HTTP ${d.status})`);
    },
  },
  {
    name: 'redis-restart',
    what: "The project's own Redis (appendonly yes) is shut down mid-sale and started again 3 s later on the same AOF.",
    ownRedis: 'aof',
    async inject(ctx, { opensAt }) {
      const own = ctx.own as OwnRedis;
      await sleep(5000);
      await own.stop('SIGTERM');
      ctx.log(`redis-server :${own.port} shut down (AOF flushed) at ${since(opensAt)}`);
      await sleep(3000);
      await own.start();
      ctx.log(`redis-server :${own.port} started again from its AOF at ${since(opensAt)}`);
    },
  },
  {
    name: 'redis-data-loss',
    what: 'Redis (no persistence) is SIGKILLed mid-sale and comes back empty: queue, holds and coupon stock must be rebuilt from PostgreSQL (journal, holds, stored coupons).',
    ownRedis: 'memory',
    async inject(ctx, { opensAt }) {
      const own = ctx.own as OwnRedis;
      await sleep(6000);
      await own.stop('SIGKILL');
      own.wipeDisk();
      ctx.log(`redis-server :${own.port} SIGKILLed, data gone, at ${since(opensAt)}`);
      await sleep(2000);
      await own.start();
      ctx.log(`an empty redis-server :${own.port} answers again at ${since(opensAt)}`);
    },
  },
  {
    name: 'postgres-cut',
    what: "Every PostgreSQL connection of the run's database is terminated (pg_terminate_backend), twice, mid-sale.",
    async inject(ctx, { opensAt }) {
      for (const at of [5000, 4000]) {
        await sleep(at);
        const c = new pg.Client({ connectionString: ctx.stack.databaseUrl });
        await c.connect();
        const r = await c.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
        await c.end();
        ctx.log(`terminated ${r.rowCount} PostgreSQL connections at ${since(opensAt)}`);
      }
    },
  },
];
