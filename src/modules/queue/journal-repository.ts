import { type QueryExecutorProvider, sql } from 'kysely';
import type { DrawRecord } from './draw.ts';
import type { CloseReason } from './store.ts';
import type { EntryStatus, QueueDb } from './tables.ts';

export interface JoinRow {
  scheduleId: string;
  ticket: number;
  userId: string;
  preQueue: boolean;
  at: number;
}
/** An admission (admittedAt set) or a retained slot (admittedAt null): the expiry only grows. */
export interface SlotRow {
  scheduleId: string;
  ticket: number;
  userId: string;
  admittedAt: number | null;
  expiresAt: number;
}
export interface EndRow {
  scheduleId: string;
  ticket: number;
  userId: string;
  status: Exclude<EntryStatus, 'WAITING' | 'ADMITTED'>;
  at: number;
}

export interface PlaceRow {
  userId: string;
  ticket: number;
  preQueue: boolean;
  status: EntryStatus;
  admittedAt: Date | null;
  expiresAt: Date | null;
}

export interface QueueSettingsRow {
  paused: boolean;
  admitPerSecond: number | null;
  maxActive: number | null;
  closedReason: CloseReason | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const byKey = <T extends { scheduleId: string; ticket: number }>(a: T, b: T) =>
  a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : a.ticket - b.ticket;

/** All SQL of the queue's journal, settings and draws. Rows go in sorted by key (fewer deadlocks). */
export class JournalRepository {
  readonly #db: QueueDb;

  constructor(db: QueueDb) {
    this.#db = db;
  }

  get db(): QueueDb {
    return this.#db;
  }

  async insertJoins(ex: QueryExecutorProvider, rows: JoinRow[]): Promise<void> {
    if (rows.length === 0) return;
    rows.sort(byKey);
    // One text parameter per column, split in SQL: the hot path's batches (hundreds of joins every 50 ms)
    // skip the client's per-element array encoding and date formatting. Ids are UUIDs: no commas.
    const column = (value: (r: JoinRow) => string | number) => rows.map(value).join(',');
    await sql`
      insert into queue_entries (schedule_id, ticket_number, user_id, pre_queue, joined_at)
      select s::uuid, t::bigint, u::uuid, p = 't', to_timestamp(a::double precision / 1000)
      from unnest(string_to_array(${column((r) => r.scheduleId)}, ','),
        string_to_array(${column((r) => r.ticket)}, ','), string_to_array(${column((r) => r.userId)}, ','),
        string_to_array(${column((r) => (r.preQueue ? 't' : 'f'))}, ','),
        string_to_array(${column((r) => r.at)}, ',')) as v(s, t, u, p, a)
      on conflict (schedule_id, ticket_number) do update
        set joined_at = excluded.joined_at, pre_queue = excluded.pre_queue
    `.execute(ex);
  }

  async upsertSlots(ex: QueryExecutorProvider, rows: SlotRow[]): Promise<void> {
    if (rows.length === 0) return;
    rows.sort(byKey);
    await sql`
      insert into queue_entries (schedule_id, ticket_number, user_id, status, admitted_at, expires_at)
      select s, t, u, 'ADMITTED', a, e
      from unnest(${rows.map((r) => r.scheduleId)}::uuid[], ${rows.map((r) => r.ticket)}::bigint[],
        ${rows.map((r) => r.userId)}::uuid[],
        ${rows.map((r) => (r.admittedAt === null ? null : iso(r.admittedAt)))}::timestamptz[],
        ${rows.map((r) => iso(r.expiresAt))}::timestamptz[]) as v(s, t, u, a, e)
      on conflict (schedule_id, ticket_number) do update set
        status = case when queue_entries.status = 'WAITING' then 'ADMITTED' else queue_entries.status end,
        admitted_at = coalesce(queue_entries.admitted_at, excluded.admitted_at),
        expires_at = greatest(queue_entries.expires_at, excluded.expires_at)
    `.execute(ex);
  }

  /** Ended states are final: the first end of a place wins. */
  async upsertEnds(ex: QueryExecutorProvider, rows: EndRow[]): Promise<void> {
    if (rows.length === 0) return;
    rows.sort(byKey);
    await sql`
      insert into queue_entries (schedule_id, ticket_number, user_id, status, ended_at)
      select * from unnest(${rows.map((r) => r.scheduleId)}::uuid[], ${rows.map((r) => r.ticket)}::bigint[],
        ${rows.map((r) => r.userId)}::uuid[], ${rows.map((r) => r.status)}::text[],
        ${rows.map((r) => iso(r.at))}::timestamptz[])
      on conflict (schedule_id, ticket_number) do update
        set status = excluded.status, ended_at = excluded.ended_at
        where queue_entries.status in ('WAITING', 'ADMITTED')
    `.execute(ex);
  }

  /** The newest place of every user of a schedule (what a rebuild restores). */
  async loadPlaces(scheduleId: string): Promise<PlaceRow[]> {
    const rows = await this.#db
      .selectFrom('queue_entries')
      .distinctOn('user_id')
      .select(['user_id', 'ticket_number', 'pre_queue', 'status', 'admitted_at', 'expires_at'])
      .where('schedule_id', '=', scheduleId)
      .orderBy('user_id')
      .orderBy('ticket_number', 'desc')
      .execute();
    return rows.map((r) => ({
      userId: r.user_id,
      ticket: Number(r.ticket_number),
      preQueue: r.pre_queue,
      status: r.status,
      admittedAt: r.admitted_at,
      expiresAt: r.expires_at,
    }));
  }

  async hasEntries(scheduleId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('queue_entries')
      .select('ticket_number')
      .where('schedule_id', '=', scheduleId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async getSettings(scheduleId: string): Promise<QueueSettingsRow | null> {
    const row = await this.#db
      .selectFrom('queue_schedules')
      .select(['paused', 'admit_per_second', 'max_active', 'closed_reason'])
      .where('schedule_id', '=', scheduleId)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      paused: row.paused,
      admitPerSecond: row.admit_per_second,
      maxActive: row.max_active,
      closedReason: row.closed_reason,
    };
  }

  async saveSettings(
    scheduleId: string,
    patch: { paused?: boolean; admitPerSecond?: number; maxActive?: number },
  ): Promise<void> {
    const values = {
      schedule_id: scheduleId,
      ...(patch.paused === undefined ? {} : { paused: patch.paused }),
      ...(patch.admitPerSecond === undefined ? {} : { admit_per_second: patch.admitPerSecond }),
      ...(patch.maxActive === undefined ? {} : { max_active: patch.maxActive }),
    };
    await this.#db
      .insertInto('queue_schedules')
      .values(values)
      .onConflict((oc) => oc.column('schedule_id').doUpdateSet({ ...values, updated_at: new Date() }))
      .execute();
  }

  async markLive(scheduleId: string, live: boolean): Promise<void> {
    await this.#db
      .insertInto('queue_schedules')
      .values({ schedule_id: scheduleId, live })
      .onConflict((oc) => oc.column('schedule_id').doUpdateSet({ live, updated_at: new Date() }))
      .execute();
  }

  async liveSchedules(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('queue_schedules')
      .select('schedule_id')
      .where('live', '=', true)
      .execute();
    return rows.map((r) => r.schedule_id);
  }

  /** Closure is durable before Redis hears of it; the waiting places of the journal end CLOSED. */
  async markClosed(scheduleId: string, reason: CloseReason): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('queue_schedules')
        .values({ schedule_id: scheduleId, closed_reason: reason, closed_at: new Date() })
        .onConflict((oc) =>
          oc
            .column('schedule_id')
            .doUpdateSet({ closed_reason: reason, closed_at: new Date(), updated_at: new Date() })
            .where('queue_schedules.closed_reason', 'is', null),
        )
        .execute();
      await trx
        .updateTable('queue_entries')
        .set({ status: 'CLOSED', ended_at: new Date() })
        .where('schedule_id', '=', scheduleId)
        .where('status', '=', 'WAITING')
        .execute();
    });
  }

  async getDraw(scheduleId: string): Promise<DrawRecord | null> {
    const row = await this.#db
      .selectFrom('queue_draws')
      .select(['seed', 'algorithm', 'participant_tickets', 'participant_users', 'result_tickets'])
      .where('schedule_id', '=', scheduleId)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      seed: row.seed,
      algorithm: row.algorithm,
      participantTickets: row.participant_tickets.map(Number),
      participantUsers: row.participant_users,
      resultTickets: row.result_tickets.map(Number),
    };
  }

  /** Records the draw once; when one is recorded already (another leader got there), returns that one. */
  async recordDraw(scheduleId: string, draw: DrawRecord): Promise<DrawRecord> {
    await this.#db
      .insertInto('queue_draws')
      .values({
        schedule_id: scheduleId,
        seed: draw.seed,
        algorithm: draw.algorithm,
        participant_tickets: draw.participantTickets,
        participant_users: draw.participantUsers,
        result_tickets: draw.resultTickets,
      })
      .onConflict((oc) => oc.column('schedule_id').doNothing())
      .execute();
    const stored = await this.getDraw(scheduleId);
    if (stored === null) throw new Error('draw vanished after insert');
    return stored;
  }
}
