import type { Logger } from '../../../platform/logger.ts';
import type { CouponRepository, Grant } from '../coupon-repository.ts';
import type { CouponDb } from '../tables.ts';
import type { IssueState } from './redis-state.ts';

export interface ReconcileResult {
  granted: number;
  stored: number;
  repaired: number;
  refused: number;
}

/**
 * Compares a campaign's grants in Redis with the coupons PostgreSQL stored and stores what is missing
 * (idempotently: the consumer may store the same grant a moment later and find it there). Grants
 * younger than `graceMs` are left to the normal path (stream → Kafka → consumer).
 */
export class GrantReconciler {
  readonly #db: CouponDb;
  readonly #state: IssueState;
  readonly #coupons: CouponRepository;
  readonly #log: Logger;
  readonly #graceMs: number;

  constructor(deps: {
    db: CouponDb;
    state: IssueState;
    coupons: CouponRepository;
    logger: Logger;
    graceMs: number;
  }) {
    this.#db = deps.db;
    this.#state = deps.state;
    this.#coupons = deps.coupons;
    this.#log = deps.logger;
    this.#graceMs = deps.graceMs;
  }

  async reconcile(campaignId: string, graceMs = this.#graceMs): Promise<ReconcileResult> {
    const [granted, stored] = await Promise.all([
      this.#state.grantCount(campaignId),
      this.#coupons.countStored(campaignId),
    ]);
    const result: ReconcileResult = { granted, stored, repaired: 0, refused: 0 };
    // Redis holds every grant PostgreSQL holds (a rebuild restores them), so equal counts mean equal sets.
    if (granted <= stored) return result;
    const storedIds = await this.#coupons.storedIdsOfCampaign(campaignId);
    const cutoff = Date.now() - graceMs;
    for await (const batch of this.#state.grants(campaignId)) {
      const missing = batch.filter((g) => !storedIds.has(g.couponId) && g.issuedAt.getTime() <= cutoff);
      if (missing.length > 0) await this.#store(missing, result);
    }
    if (result.repaired > 0 || result.refused > 0)
      this.#log.warn(
        { campaignId, ...result },
        'coupon reconciler stored grants that had not arrived through Kafka',
      );
    return result;
  }

  async #store(grants: Grant[], result: ReconcileResult): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const g of grants) {
        const outcome = await this.#coupons.storeGrant(g, 'RECONCILER', trx);
        if (outcome === 'STORED') result.repaired++;
        else if (outcome === 'REFUSED') {
          result.refused++;
          this.#log.error({ grant: g }, 'PostgreSQL refused a coupon grant (conflicts with stored coupons)');
        }
      }
    });
  }
}
