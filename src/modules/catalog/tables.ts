import type { Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';

export type PerformanceStatus = 'ON_SALE' | 'CANCELLED' | 'DELETED';
export type SectionKind = 'SEATED' | 'STANDING';

export type CatalogTables = {
  users: { id: string; role: string };
  venues: {
    id: Generated<string>;
    seller_id: string;
    name: string;
    address: Generated<string>;
    seat_count: number;
    created_at: Generated<Date>;
    deleted_at: Date | null;
  };
  venue_sections: {
    id: Generated<string>;
    venue_id: string;
    position: number;
    name: string;
    kind: SectionKind;
    rows: number | null;
    seats_per_row: number | null;
    capacity: number;
  };
  venue_seats: {
    id: Generated<number>;
    venue_id: string;
    section_id: string;
    row_no: number;
    number: number;
  };
  performances: {
    id: Generated<string>;
    seller_id: string;
    venue_id: string;
    title: string;
    description: Generated<string>;
    status: Generated<PerformanceStatus>;
    sales_open_at: Date;
    sales_close_at: Date;
    max_tickets_per_buyer: number;
    queue_admit_per_second: number;
    queue_max_active: number;
    queue_admission_ttl_seconds: number;
    cancellation_deadline_hours: number;
    cancellation_fees: string;
    version: Generated<number>;
    cancel_reason: string | null;
    cancelled_at: Date | null;
    deleted_at: Date | null;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  performance_grades: { performance_id: string; grade: string; price: number; position: number };
  performance_section_grades: { performance_id: string; section_id: string; grade: string };
  schedules: {
    id: Generated<string>;
    performance_id: string;
    venue_id: string;
    starts_at: Date;
    ends_at: Date;
    holds_venue: Generated<boolean>;
  };
};

export type CatalogDb = Kysely<PlatformTables & CatalogTables>;
