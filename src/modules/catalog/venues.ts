import { Errors } from '../../platform/errors.ts';
import type { Principal } from '../../platform/tokens.ts';
import { CatalogErrors } from './errors.ts';
import { assertOwner } from './ownership.ts';
import type { CatalogDb } from './tables.ts';
import type { NewSection, SectionRow, VenueRepository, VenueRow } from './venue-repository.ts';

export const MAX_SECTION_SEATS = 99_999;
export const MAX_VENUE_SEATS = 200_000;

export interface SectionInput {
  name: string;
  kind?: 'SEATED' | 'STANDING';
  rows?: number;
  seatsPerRow?: number;
  capacity?: number;
}

export interface VenueInput {
  name: string;
  address?: string;
  sections: SectionInput[];
}

/** Checks every section and names the first offending field; nothing is written before this passes. */
export function validateSections(sections: SectionInput[]): NewSection[] {
  if (sections.length === 0) throw Errors.validation('sections', 'a venue needs at least one section');
  const names = new Set<string>();
  let total = 0;
  const out = sections.map((s, i): NewSection => {
    const field = `sections.${i}`;
    const name = s.name.trim();
    if (name === '') throw Errors.validation(`${field}.name`, `${field}.name must not be blank`);
    if (names.has(name.toLowerCase()))
      throw Errors.validation(`${field}.name`, `${field}.name "${name}" is used by another section`);
    names.add(name.toLowerCase());
    const section = toSection(s, name, field);
    total += section.capacity;
    return section;
  });
  if (total > MAX_VENUE_SEATS)
    throw Errors.validation('sections', `a venue holds at most ${MAX_VENUE_SEATS} seats and places`);
  return out;
}

function toSection(s: SectionInput, name: string, field: string): NewSection {
  const positive = (v: number | undefined, f: string): number => {
    if (v === undefined) throw Errors.validation(`${field}.${f}`, `${field}.${f} is required`);
    if (!Number.isInteger(v) || v < 1)
      throw Errors.validation(`${field}.${f}`, `${field}.${f} must be a positive integer`);
    return v;
  };
  if (s.kind === 'STANDING') {
    if (s.rows !== undefined || s.seatsPerRow !== undefined)
      throw Errors.validation(`${field}.rows`, `${field} is standing: give capacity, not rows`);
    const capacity = positive(s.capacity, 'capacity');
    if (capacity > MAX_SECTION_SEATS)
      throw Errors.validation(`${field}.capacity`, `${field}.capacity must be below 100000`);
    return { name, kind: 'STANDING', rows: null, seatsPerRow: null, capacity };
  }
  const rows = positive(s.rows, 'rows');
  const seatsPerRow = positive(s.seatsPerRow, 'seatsPerRow');
  const capacity = rows * seatsPerRow;
  if (capacity > MAX_SECTION_SEATS)
    throw Errors.validation(
      field,
      `${field} has ${capacity} seats; a section holds 1 to ${MAX_SECTION_SEATS}`,
    );
  if (s.capacity !== undefined && s.capacity !== capacity)
    throw Errors.validation(`${field}.capacity`, `${field}.capacity must equal rows × seatsPerRow`);
  return { name, kind: 'SEATED', rows, seatsPerRow, capacity };
}

export interface VenueView extends VenueRow {
  sections: SectionRow[];
}

export function createVenueUseCases(db: CatalogDb, venues: VenueRepository) {
  return {
    async create(principal: Principal, input: VenueInput): Promise<VenueRow> {
      const name = input.name.trim();
      if (name === '') throw Errors.validation('name', 'name must not be blank');
      const sections = validateSections(input.sections);
      return db.transaction().execute((trx) =>
        venues.insert(trx, {
          sellerId: principal.userId,
          name,
          address: (input.address ?? '').trim(),
          sections,
        }),
      );
    },

    list(principal: Principal, page: number, size: number): Promise<VenueRow[]> {
      const sellerId = principal.role === 'ADMIN' ? null : principal.userId;
      return venues.list(sellerId, size, (page - 1) * size);
    },

    async get(principal: Principal, id: string): Promise<VenueView> {
      const venue = await venues.findById(id);
      if (venue === undefined || venue.deleted) throw CatalogErrors.venueNotFound();
      assertOwner(principal, venue.sellerId, 'venue');
      const { deleted: _deleted, ...row } = venue;
      return { ...row, sections: await venues.sections(id) };
    },

    /** Soft delete, refused while a performance on sale uses the venue. */
    async remove(principal: Principal, id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const venue = await venues.lockLive(trx, id);
        if (venue === undefined) throw CatalogErrors.venueNotFound();
        assertOwner(principal, venue.sellerId, 'venue');
        if (await venues.isUsedByLivePerformance(trx, id)) throw CatalogErrors.venueInUse();
        await venues.softDelete(trx, id);
      });
    },
  };
}

export type VenueUseCases = ReturnType<typeof createVenueUseCases>;
