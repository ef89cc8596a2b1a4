import type { Logger } from '../../platform/logger.ts';
import type { Role } from '../../platform/tokens.ts';
import type { PerformanceUseCases } from './performances.ts';
import type { VenueUseCases } from './venues.ts';

export const DEMO_SELLER = {
  email: 'seller@queueticket.local',
  password: 'seller-password',
  name: 'Demo Seller',
};

export interface DemoAccounts {
  ensureAccount(
    email: string,
    password: string,
    name: string,
    role: Role,
  ): Promise<{ user: { id: string }; created: boolean }>;
}

const DAY = 24 * 3600_000;

/**
 * One demo seller, one ~2,000-seat venue (grades R/S/A/B plus a small standing area) and one
 * performance on sale now with two schedules. Skipped when the demo seller already has a venue.
 */
export async function seedDemoData(
  accounts: DemoAccounts,
  venues: VenueUseCases,
  performances: PerformanceUseCases,
  logger: Logger,
  now: Date = new Date(),
): Promise<{ seeded: boolean; performanceId?: string }> {
  const { user } = await accounts.ensureAccount(
    DEMO_SELLER.email,
    DEMO_SELLER.password,
    DEMO_SELLER.name,
    'SELLER',
  );
  const seller = { userId: user.id, role: 'SELLER' as const };
  if ((await venues.list(seller, 1, 1)).length > 0) return { seeded: false };
  const venue = await venues.create(seller, {
    name: 'QueueTicket Arena',
    address: '424 Olympic-ro, Songpa-gu, Seoul',
    sections: [
      { name: 'Floor', rows: 10, seatsPerRow: 40 },
      { name: 'Lower A', rows: 15, seatsPerRow: 30 },
      { name: 'Lower B', rows: 15, seatsPerRow: 30 },
      { name: 'Upper A', rows: 10, seatsPerRow: 35 },
      { name: 'Upper B', rows: 10, seatsPerRow: 35 },
      { name: 'Standing', kind: 'STANDING', capacity: 200 },
    ],
  });
  const firstShow = new Date(Math.ceil((now.getTime() + 31 * DAY) / 3600_000) * 3600_000);
  const performance = await performances.create(seller, {
    venueId: venue.id,
    title: 'QueueTicket Live: Demo Concert',
    description: 'A demo show to try the whole flow: queue, seats, coupon, payment.',
    grades: [
      { grade: 'R', price: 165_000 },
      { grade: 'S', price: 143_000 },
      { grade: 'A', price: 121_000 },
      { grade: 'B', price: 99_000 },
    ],
    sectionGrades: {
      Floor: 'R',
      'Lower A': 'S',
      'Lower B': 'S',
      'Upper A': 'A',
      'Upper B': 'B',
      Standing: 'B',
    },
    schedules: [
      { startsAt: firstShow.toISOString() },
      { startsAt: new Date(firstShow.getTime() + DAY).toISOString() },
    ],
    salesOpenAt: now.toISOString(),
    salesCloseAt: new Date(now.getTime() + 30 * DAY).toISOString(),
    cancellationPolicy: {
      deadlineHoursBeforeStart: 24,
      fees: [
        { daysBeforeStart: 7, percent: 10 },
        { daysBeforeStart: 3, percent: 20 },
      ],
    },
  });
  logger.info(
    { event: { action: 'demo-data-seeded' }, performanceId: performance.id, venueId: venue.id },
    `demo data: ${DEMO_SELLER.email} / ${DEMO_SELLER.password}, performance ${performance.id}`,
  );
  return { seeded: true, performanceId: performance.id };
}
