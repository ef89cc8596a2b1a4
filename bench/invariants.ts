/**
 * Invariant checker for a run (bench, chaos, or any database of this system):
 *
 *   DATABASE_URL=… REDIS_KEY_PREFIX=… KAFKA_TOPIC_PREFIX=… node bench/invariants.ts
 *   (REDIS_CLUSTER_NODES=host:port,… reads a Redis Cluster instead of REDIS_URL)
 *
 * Waits (bounded) until the asynchronous paths settle (outbox published, coupon grants stored,
 * payments resolved, payment events in the ledger), then reads PostgreSQL, Redis, Kafka and the
 * sandbox ledger and prints seats sold vs capacity, double sales, coupons granted vs stored vs limit,
 * orders PAID vs provider charges, refunds, settlement totals vs ledger. Exit 1 on any violation.
 */
import pg from 'pg';
import {
  type Check,
  Checks,
  couponChecks,
  outboxChecks,
  paymentChecks,
  queueChecks,
  seatChecks,
  settlementChecks,
} from './lib/invariant-checks.ts';
import { type KafkaSnapshot, readTopics } from './lib/kafka-read.ts';
import { type AnyRedis, benchRedis } from './lib/redis-client.ts';
import type { OnSaleResult } from './scenario/onsale.ts';

export interface InvariantOptions {
  databaseUrl: string;
  redisUrl: string;
  /** A Redis Cluster's nodes (host:port,…) instead of redisUrl. */
  redisClusterNodes?: string;
  redisPrefix: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  /** How long to wait for the asynchronous paths to settle. */
  settleTimeoutMs?: number;
  /** Coupon ids the clients got a 202 for, per campaign: each must be stored. */
  issued202?: Record<string, string[]>;
  /** The most admitted users seen at once per schedule (sampled by the scenario). */
  maxActiveSeen?: Record<string, number>;
  /** Longest the Kafka read may take (default 120 s); it ends earlier once nothing new came for 2.5 s. */
  kafkaReadMaxMs?: number;
}

export interface InvariantReport {
  checks: Check[];
  violations: Check[];
  warnings: Check[];
  settledAfterMs: number;
  settled: boolean;
}

async function pending(pool: pg.Pool, redis: AnyRedis): Promise<string[]> {
  const [r] = (
    await pool.query<Record<string, string>>(`
    select
      (select count(*) from outbox where published_at is null) as outbox,
      (select count(*) from payments where status in ('CONFIRMING', 'REFUND_REQUIRED')) as payments,
      (select count(*) from payment_refunds where status = 'REQUESTED') as refunds,
      (select count(*) from orders o where o.paid_at is not null
        and not exists (select 1 from settlement_ledger_lines l where l.source_ref = 'sale:' || o.id)) as ledger,
      (select count(*) from payment_refunds r where r.status = 'DONE'
        and not exists (select 1 from settlement_ledger_lines l where l.type = 'REFUND' and l.refund_id = r.transaction_key)) as ledger_refunds`)
  ).rows;
  const out: string[] = [];
  for (const [k, v] of Object.entries(r ?? {})) if (Number(v) > 0) out.push(`${k}=${v}`);
  const campaigns = await pool.query<{ id: string; stored: string }>(
    'select c.id, (select count(*) from coupons k where k.campaign_id = c.id) as stored from coupon_campaigns c',
  );
  for (const c of campaigns.rows) {
    const granted = await redis.hlen(`cpn:{c:${c.id}}:grants`);
    if (granted > Number(c.stored)) out.push(`coupons(${c.id.slice(0, 8)})=${granted - Number(c.stored)}`);
  }
  return out;
}

/** What the on-sale scenario saw that the checker compares with the stores (nothing without a scenario). */
export function scenarioObservations(
  onsale: Pick<OnSaleResult, 'campaignId' | 'issued202' | 'scheduleId' | 'maxActiveSeen'> | null,
): Pick<InvariantOptions, 'issued202' | 'maxActiveSeen'> {
  if (onsale === null) return {};
  return {
    issued202: { [onsale.campaignId]: onsale.issued202 },
    maxActiveSeen: { [onsale.scheduleId]: onsale.maxActiveSeen },
  };
}

export async function checkInvariants(o: InvariantOptions): Promise<InvariantReport> {
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const redis = benchRedis({ url: o.redisUrl, clusterNodes: o.redisClusterNodes }, o.redisPrefix);
  const started = Date.now();
  try {
    let settled = false;
    let left: string[] = [];
    while (Date.now() - started < (o.settleTimeoutMs ?? 60_000)) {
      left = await pending(pool, redis);
      if (left.length === 0) {
        settled = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const settledAfterMs = Date.now() - started;
    const q = async <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
      (await pool.query<T>(sql, params)).rows;
    // rows published from here on may reach Kafka after the read below has finished: only those marked
    // published before it starts must be found there
    const readFrom = (await q<{ at: Date }>('select now() as at'))[0]?.at ?? new Date();
    const kafka: KafkaSnapshot | null = await readTopics(
      o.kafkaBrokers,
      o.topicPrefix,
      2500,
      o.kafkaReadMaxMs ?? 120_000,
    ).catch(() => null);
    const c = new Checks();
    c.warn(
      'settle',
      'asynchronous work left after waiting',
      left.join(' ') || 'none',
      settled,
      `${settledAfterMs} ms`,
    );
    await seatChecks(q, redis, c);
    await couponChecks(q, redis, kafka, c, o.issued202);
    await paymentChecks(q, c);
    await settlementChecks(q, c);
    await outboxChecks(q, kafka, c, readFrom);
    await queueChecks(q, redis, c, o.maxActiveSeen);
    return {
      checks: c.list,
      violations: c.list.filter((x) => x.severity === 'violation' && !x.ok),
      warnings: c.list.filter((x) => x.severity === 'warning' && !x.ok),
      settledAfterMs,
      settled,
    };
  } finally {
    await pool.end();
    redis.disconnect();
  }
}

export function formatReport(r: InvariantReport): string {
  const lines: string[] = [];
  let area = '';
  for (const c of r.checks) {
    if (c.area !== area) {
      area = c.area;
      lines.push(`  [${area}]`);
    }
    const mark = c.severity === 'info' ? '  ' : c.ok ? 'ok' : c.severity === 'violation' ? '!!' : '~~';
    lines.push(`   ${mark} ${c.name}: ${c.value}${c.detail ? ` (${c.detail})` : ''}`);
  }
  lines.push(`  => ${r.violations.length} violation(s), ${r.warnings.length} warning(s)`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  const report = await checkInvariants({
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/queueticket',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisClusterNodes: env.REDIS_CLUSTER_NODES ?? '',
    redisPrefix: env.REDIS_KEY_PREFIX ?? 'qt:',
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topicPrefix: env.KAFKA_TOPIC_PREFIX ?? 'qt.',
    settleTimeoutMs: Number(env.SETTLE_TIMEOUT_MS ?? 60_000),
  });
  console.log(formatReport(report));
  process.exit(report.violations.length > 0 ? 1 : 0);
}
