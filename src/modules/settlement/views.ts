import type { Principal } from '../../platform/tokens.ts';
import { SettlementErrors } from './errors.ts';
import {
  findSettlement,
  type LineRow,
  linesOf,
  listSettlements,
  moveStatus,
  type Settlement,
} from './settlement-repository.ts';
import type { SettlementExecutor, SettlementStatus } from './tables.ts';

/** A seller sees its own settlements only; an admin sees every one. 404 before 403 is never leaked. */
export async function settlementFor(
  db: SettlementExecutor,
  principal: Principal,
  id: string,
): Promise<Settlement> {
  const settlement = await findSettlement(db, id);
  if (settlement === null) throw SettlementErrors.notFound();
  if (principal.role !== 'ADMIN' && settlement.sellerId !== principal.userId)
    throw SettlementErrors.notYours();
  return settlement;
}

export async function settlementsFor(
  db: SettlementExecutor,
  principal: Principal,
  query: {
    sellerId?: string | undefined;
    status?: SettlementStatus | undefined;
    limit?: number;
    offset?: number;
  },
): Promise<Settlement[]> {
  let sellerId = query.sellerId;
  if (principal.role !== 'ADMIN') {
    if (sellerId !== undefined && sellerId !== principal.userId) throw SettlementErrors.notYours();
    sellerId = principal.userId;
  }
  return listSettlements(db, {
    sellerId,
    status: query.status,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  });
}

export async function linesFor(
  db: SettlementExecutor,
  principal: Principal,
  id: string,
): Promise<{ settlement: Settlement; lines: LineRow[] }> {
  const settlement = await settlementFor(db, principal, id);
  return { settlement, lines: await linesOf(db, settlement.id) };
}

const NEXT: Record<'CONFIRMED' | 'PAID_OUT', SettlementStatus> = {
  CONFIRMED: 'CALCULATED',
  PAID_OUT: 'CONFIRMED',
};

/** CALCULATED → CONFIRMED → PAID_OUT; any other move is 409 INVALID_SETTLEMENT_TRANSITION. */
export async function advanceSettlement(
  db: SettlementExecutor,
  id: string,
  to: 'CONFIRMED' | 'PAID_OUT',
  at: Date,
): Promise<Settlement> {
  const moved = await moveStatus(db, id, NEXT[to], to, at);
  if (moved !== null) return moved;
  const current = await findSettlement(db, id);
  if (current === null) throw SettlementErrors.notFound();
  throw SettlementErrors.invalidTransition(id, current.status, to);
}
