import { expect } from 'vitest';
import type { SeatStatusSource } from '../../src/modules/catalog/index.ts';
import { api, type TestApp } from '../support/harness.ts';

export interface Actor {
  id: string;
  token: string;
}

let counter = 0;

export async function actor(t: TestApp, role: 'SELLER' | 'BUYER' | 'ADMIN'): Promise<Actor> {
  counter += 1;
  const [a] = await t.modules.identity.bulkCreateAccounts({
    count: 1,
    role,
    emailPrefix: `cat-${role.toLowerCase()}-${Date.now().toString(36)}-${counter}-`,
  });
  if (a === undefined) throw new Error('no account');
  return { id: a.id, token: a.accessToken };
}

export type Section = {
  name: string;
  rows?: number;
  seatsPerRow?: number;
  kind?: 'STANDING';
  capacity?: number;
};

export const SMALL_VENUE: Section[] = [
  { name: 'Floor', rows: 2, seatsPerRow: 5 },
  { name: 'Balcony', rows: 3, seatsPerRow: 4 },
  { name: 'Pit', kind: 'STANDING', capacity: 50 },
];

export async function createVenue(t: TestApp, who: Actor, sections: Section[] = SMALL_VENUE) {
  const res = await api<{ id: string; name: string; seatCount: number }>(
    t.baseUrl,
    'POST',
    '/api/v1/venues',
    {
      token: who.token,
      body: { name: 'Hall', address: 'Seoul', sections },
    },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const HOUR = 3600_000;
// Each file's times start at a random base and step 4 days per call: two calls of one file never
// overlap (a fresh random offset per call could land on another call's slot: 1 in 5,000 per pair).
let slot = Math.floor(Math.random() * 5_000) * 64;
/** A time far in the future no other test of this run uses, so schedules never overlap by accident. */
export function freshStart(): Date {
  slot += 1;
  return new Date(Date.UTC(2031, 0, 1) + slot * 4 * 24 * HOUR);
}

export function performanceBody(venueId: string, overrides: Record<string, unknown> = {}) {
  const start = freshStart();
  return {
    venueId,
    title: 'Test Show',
    grades: [
      { grade: 'R', price: 150_000 },
      { grade: 'S', price: 100_000 },
    ],
    sectionGrades: { Floor: 'R', Balcony: 'S', Pit: 'S' },
    schedules: [
      { startsAt: start.toISOString() },
      { startsAt: new Date(start.getTime() + 24 * HOUR).toISOString() },
    ],
    salesOpenAt: new Date(Date.now() - HOUR).toISOString(),
    salesCloseAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString(),
    ...overrides,
  };
}

export interface Created {
  id: string;
  title: string;
  schedules: { id: string; startsAt: string; endsAt: string }[];
}

export async function createPerformance(
  t: TestApp,
  who: Actor,
  venueId: string,
  overrides: Record<string, unknown> = {},
) {
  const res = await api<Created>(t.baseUrl, 'POST', '/api/v1/performances', {
    token: who.token,
    body: performanceBody(venueId, overrides),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A Map that bumps a shared counter on every change, so FakeSeatStatus can report a status version. */
class CountingMap<K, V> extends Map<K, V> {
  readonly bump: () => void;
  constructor(bump: () => void) {
    super();
    this.bump = bump;
  }
  override set(key: K, value: V) {
    this.bump();
    return super.set(key, value);
  }
  override delete(key: K) {
    this.bump();
    return super.delete(key);
  }
  override clear() {
    this.bump();
    super.clear();
  }
}

/**
 * A real in-memory SeatStatusSource standing in for booking (not a database mock): the test sets
 * what booking would report for each schedule; every change moves `statusVersion`.
 */
export class FakeSeatStatus implements SeatStatusSource {
  #version = 0;
  readonly seats = new CountingMap<string, Map<number, 'HELD' | 'SOLD'>>(() => this.#version++);
  readonly standing = new CountingMap<string, number>(() => this.#version++);

  async unavailableSeats(scheduleId: string) {
    return new Map(this.seats.get(scheduleId) ?? []);
  }

  async standingTaken(scheduleId: string, sectionId: string) {
    return this.standing.get(`${scheduleId}/${sectionId}`) ?? 0;
  }

  async statusVersion() {
    return this.#version;
  }
}

export async function outboxEvents(t: TestApp, key: string) {
  const rows = await t.rt.db
    .selectFrom('outbox')
    .select(['type', 'topic', 'payload'])
    .where('key', '=', key)
    .orderBy('id')
    .execute();
  return rows as { type: string; topic: string; payload: Record<string, unknown> }[];
}
