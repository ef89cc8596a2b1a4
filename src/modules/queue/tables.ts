import type { Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

export type EntryStatus = 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'LEFT' | 'PAID' | 'CLOSED';

export type QueueTables = {
  queue_entries: {
    schedule_id: string;
    ticket_number: number;
    user_id: string;
    pre_queue: Generated<boolean>;
    status: Generated<EntryStatus>;
    joined_at: Date | null;
    admitted_at: Date | null;
    expires_at: Date | null;
    ended_at: Date | null;
  };
  queue_schedules: {
    schedule_id: string;
    paused: Generated<boolean>;
    admit_per_second: number | null;
    max_active: number | null;
    closed_reason: 'SOLD_OUT' | 'SALES_CLOSED' | 'CANCELLED' | null;
    closed_at: Date | null;
    live: Generated<boolean>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  queue_draws: {
    schedule_id: string;
    seed: string;
    algorithm: string;
    participant_tickets: number[];
    participant_users: string[];
    result_tickets: number[];
    drawn_at: Generated<Date>;
  };
};

export type QueueDb = Kysely<PlatformTables & QueueTables>;
