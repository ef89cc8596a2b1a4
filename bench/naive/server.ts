/**
 * Naive baselines, a tiny separate Fastify server (no auth, validation, logging or metrics: the core
 * operation only, so its figures are an upper bound for those designs):
 * - hold with a PostgreSQL row lock: `SELECT … FOR UPDATE` on the seat rows, check, UPDATE, COMMIT;
 * - coupon issue as the seed did it: a per-user marker checked apart from a `DECR` of the stock, a
 *   compensating `INCR` when it went negative (not atomic: one user can get two, a crash loses units).
 *   PORT, DATABASE_URL, REDIS_URL, PREFIX from env. `POST /setup {seats, stock}` prepares both.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, idleTimeoutMillis: 2000 });
pool.on('error', () => undefined);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  keyPrefix: process.env.PREFIX ?? 'qt:naive:',
  enableAutoPipelining: true,
});
const app = Fastify({ logger: false });
const userOf = (auth: string | undefined) => (auth ?? '').slice(-22);

app.post('/setup', async (request) => {
  const { seats, stock } = request.body as { seats: number; stock: number };
  await pool.query(`create table if not exists naive_seats (
    seat_id bigint primary key, hold_id uuid, held_until timestamptz)`);
  await pool.query('truncate naive_seats');
  await pool.query('insert into naive_seats (seat_id) select g from generate_series(1, $1::int) g', [seats]);
  await redis.set('stock', stock);
  await redis.del('users', 'grants');
  return { ok: true };
});

app.post('/holds', async (request, reply) => {
  const seatIds = (request.body as { seatIds: number[] }).seatIds;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const rows = await client.query<{ seat_id: string; taken: boolean }>(
      `select seat_id, (hold_id is not null and held_until > now()) as taken
         from naive_seats where seat_id = any($1::bigint[]) order by seat_id for update`,
      [seatIds],
    );
    const taken = rows.rows.filter((r) => r.taken).map((r) => Number(r.seat_id));
    if (taken.length > 0 || rows.rowCount !== seatIds.length) {
      await client.query('rollback');
      return reply.code(409).send({ code: 'SEATS_UNAVAILABLE', unavailableSeatIds: taken });
    }
    const holdId = randomUUID();
    await client.query(
      `update naive_seats set hold_id = $2, held_until = now() + interval '10 minutes'
        where seat_id = any($1::bigint[])`,
      [seatIds, holdId],
    );
    await client.query('commit');
    return reply.code(201).send({ holdId, seatIds });
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
});

app.delete('/holds/:holdId', async (request, reply) => {
  await pool.query('update naive_seats set hold_id = null, held_until = null where hold_id = $1', [
    (request.params as { holdId: string }).holdId,
  ]);
  return reply.code(204).send();
});

// The seed's coupon: marker check, DECR, compensating INCR, marker set: four steps, no atomicity.
app.post('/coupons/issue', async (request, reply) => {
  const user = userOf(request.headers.authorization);
  if ((await redis.sismember('users', user)) === 1) return reply.code(409).send({ code: 'LIMIT_REACHED' });
  const left = await redis.decr('stock');
  if (left < 0) {
    await redis.incr('stock');
    return reply.code(409).send({ code: 'SOLD_OUT' });
  }
  await redis.sadd('users', user);
  const couponId = randomUUID();
  await redis.rpush('grants', `${user}|${couponId}`);
  return reply.code(202).send({ status: 'ISSUED', couponId });
});

app.get('/coupons/audit', async () => {
  const grants = await redis.lrange('grants', 0, -1);
  const perUser = new Map<string, number>();
  for (const g of grants) {
    const u = g.split('|')[0] ?? '';
    perUser.set(u, (perUser.get(u) ?? 0) + 1);
  }
  const duplicates = [...perUser.values()].filter((n) => n > 1).reduce((s, n) => s + n - 1, 0);
  return {
    granted: grants.length,
    users: perUser.size,
    duplicates,
    stockLeft: Number(await redis.get('stock')),
  };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log('ready');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(async () => {
      await pool.end();
      redis.disconnect();
      process.exit(0);
    });
  });
}
