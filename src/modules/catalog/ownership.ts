import type { Principal } from '../../platform/tokens.ts';
import { CatalogErrors } from './errors.ts';

/** A SELLER acts on what it owns; an ADMIN on everything; anyone else on nothing. */
export function assertOwner(principal: Principal, sellerId: string, what: string, field?: string): void {
  if (principal.role === 'ADMIN') return;
  if (principal.role === 'SELLER' && principal.userId === sellerId) return;
  throw CatalogErrors.notOwner(what, field);
}
