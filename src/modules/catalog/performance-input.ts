import { Errors } from '../../platform/errors.ts';
import {
  type CancellationPolicy,
  DEFAULT_MAX_TICKETS_PER_BUYER,
  DEFAULT_QUEUE,
  DEFAULT_SCHEDULE_HOURS,
  type QueueSettings,
} from './ports.ts';
import type { SectionRow } from './venue-repository.ts';

export interface PerformanceInput {
  venueId: string;
  title: string;
  description?: string;
  grades: { grade: string; price: number }[];
  sectionGrades: Record<string, string>;
  schedules: { startsAt: string; endsAt?: string }[];
  salesOpenAt: string;
  salesCloseAt: string;
  maxTicketsPerBuyer?: number;
  queue?: Partial<QueueSettings>;
  cancellationPolicy?: Partial<CancellationPolicy>;
}

export interface CheckedPerformance {
  title: string;
  description: string;
  grades: { grade: string; price: number }[];
  schedules: { startsAt: Date; endsAt: Date }[];
  salesOpenAt: Date;
  salesCloseAt: Date;
  maxTicketsPerBuyer: number;
  queue: QueueSettings;
  cancellationPolicy: CancellationPolicy;
}

export const MAX_PRICE = 100_000_000;

export function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw Errors.validation(field, `${field} must be an ISO-8601 time`);
  return d;
}

export function checkGrades(grades: { grade: string; price: number }[], field = 'grades') {
  if (grades.length === 0) throw Errors.validation(field, 'at least one grade is required');
  const seen = new Set<string>();
  return grades.map((g, i) => {
    const grade = g.grade.trim();
    if (grade === '') throw Errors.validation(`${field}.${i}.grade`, `${field}.${i}.grade must not be blank`);
    if (seen.has(grade)) throw Errors.validation(`${field}.${i}.grade`, `grade "${grade}" is listed twice`);
    seen.add(grade);
    if (!Number.isInteger(g.price) || g.price <= 0 || g.price > MAX_PRICE)
      throw Errors.validation(
        `${field}.${i}.price`,
        `${field}.${i}.price must be a whole number of won from 1 to ${MAX_PRICE}`,
      );
    return { grade, price: g.price };
  });
}

export function checkSalesWindow(openAt: Date, closeAt: Date): void {
  if (closeAt.getTime() <= openAt.getTime())
    throw Errors.validation('salesCloseAt', 'salesCloseAt must be after salesOpenAt');
}

export function checkCancellationPolicy(p: Partial<CancellationPolicy> | undefined): CancellationPolicy {
  const fees = (p?.fees ?? []).map((f) => ({ daysBeforeStart: f.daysBeforeStart, percent: f.percent }));
  const days = new Set<number>();
  fees.forEach((f, i) => {
    if (days.has(f.daysBeforeStart))
      throw Errors.validation(
        `cancellationPolicy.fees.${i}.daysBeforeStart`,
        'each daysBeforeStart may appear once',
      );
    days.add(f.daysBeforeStart);
  });
  fees.sort((a, b) => b.daysBeforeStart - a.daysBeforeStart);
  return { deadlineHoursBeforeStart: p?.deadlineHoursBeforeStart ?? 0, fees };
}

/** Everything that can be checked without the database, naming the first offending field. */
export function checkPerformance(input: PerformanceInput): CheckedPerformance {
  const title = input.title.trim();
  if (title === '') throw Errors.validation('title', 'title must not be blank');
  const grades = checkGrades(input.grades);
  const salesOpenAt = parseTime(input.salesOpenAt, 'salesOpenAt');
  const salesCloseAt = parseTime(input.salesCloseAt, 'salesCloseAt');
  checkSalesWindow(salesOpenAt, salesCloseAt);
  if (input.schedules.length === 0) throw Errors.validation('schedules', 'at least one schedule is required');
  const schedules = input.schedules.map((s, i) => {
    const startsAt = parseTime(s.startsAt, `schedules.${i}.startsAt`);
    const endsAt =
      s.endsAt === undefined
        ? new Date(startsAt.getTime() + DEFAULT_SCHEDULE_HOURS * 3600_000)
        : parseTime(s.endsAt, `schedules.${i}.endsAt`);
    if (endsAt.getTime() <= startsAt.getTime())
      throw Errors.validation(`schedules.${i}.endsAt`, `schedules.${i}.endsAt must be after startsAt`);
    return { startsAt, endsAt };
  });
  schedules.forEach((a, i) => {
    schedules.forEach((b, j) => {
      if (j < i && a.startsAt < b.endsAt && b.startsAt < a.endsAt)
        throw Errors.validation(`schedules.${i}.startsAt`, `schedules.${i} overlaps schedules.${j}`);
    });
  });
  const listed = new Set(grades.map((g) => g.grade));
  for (const [section, grade] of Object.entries(input.sectionGrades)) {
    if (!listed.has(grade.trim()))
      throw Errors.validation(
        `sectionGrades.${section}`,
        `sectionGrades.${section} names grade "${grade}", which grades does not list`,
      );
  }
  return {
    title,
    description: (input.description ?? '').trim(),
    grades,
    schedules,
    salesOpenAt,
    salesCloseAt,
    maxTicketsPerBuyer: input.maxTicketsPerBuyer ?? DEFAULT_MAX_TICKETS_PER_BUYER,
    queue: { ...DEFAULT_QUEUE, ...input.queue },
    cancellationPolicy: checkCancellationPolicy(input.cancellationPolicy),
  };
}

/** section id → grade; every section of the venue must be mapped, and only sections of the venue. */
export function mapSections(
  sections: SectionRow[],
  sectionGrades: Record<string, string>,
): Map<string, string> {
  const byName = new Map(sections.map((s) => [s.name, s]));
  for (const name of Object.keys(sectionGrades)) {
    if (!byName.has(name))
      throw Errors.validation(`sectionGrades.${name}`, `the venue has no section "${name}"`);
  }
  const out = new Map<string, string>();
  for (const s of sections) {
    const grade = sectionGrades[s.name];
    if (grade === undefined)
      throw Errors.validation(`sectionGrades.${s.name}`, `section "${s.name}" has no grade`);
    out.set(s.id, grade.trim());
  }
  return out;
}
