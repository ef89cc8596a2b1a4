import type { Logger } from '../../../platform/logger.ts';
import { OpsErrors } from '../errors.ts';
import type { OpsCatalog } from '../ports.ts';
import type { SalesGate } from './gate.ts';
import type { SalesRedisCopy } from './redis-copy.ts';
import type { SalesSwitchRepository, SwitchState } from './repository.ts';

export interface SalesSwitchView {
  performanceId: string;
  enabled: boolean;
  reason: string | null;
  changedBy: string | null;
  changedAt: string | null;
}

const PROPAGATE_ATTEMPTS = 3;

/**
 * The per-performance sales kill switch (POST /api/v1/admin/performances/{id}/sales). PostgreSQL
 * first (the record), then the Redis copy the hot paths read, then this process's gate forgets its
 * snapshot; other processes see the change within their snapshot age (≤ 1 s). If Redis refuses the
 * copy, the answer says `propagated: false` and the worker's sync job (every 5 s) writes it later;
 * meanwhile gates that cannot read Redis ask PostgreSQL.
 */
export class SalesSwitch {
  readonly #repo: SalesSwitchRepository;
  readonly #copy: SalesRedisCopy;
  readonly #gate: SalesGate;
  readonly #catalog: OpsCatalog;
  readonly #logger: Logger;

  constructor(deps: {
    repo: SalesSwitchRepository;
    copy: SalesRedisCopy;
    gate: SalesGate;
    catalog: OpsCatalog;
    logger: Logger;
  }) {
    this.#repo = deps.repo;
    this.#copy = deps.copy;
    this.#gate = deps.gate;
    this.#catalog = deps.catalog;
    this.#logger = deps.logger;
  }

  async set(input: {
    performanceId: string;
    enabled: boolean;
    reason: string;
    actorId: string;
  }): Promise<SalesSwitchView & { propagated: boolean }> {
    const owner = await this.#catalog.getPerformanceOwner(input.performanceId);
    if (owner === null) throw OpsErrors.performanceNotFound();
    const state = await this.#repo.set({
      performanceId: input.performanceId,
      enabled: input.enabled,
      reason: input.reason,
      changedBy: input.actorId,
    });
    let propagated = false;
    for (let attempt = 1; attempt <= PROPAGATE_ATTEMPTS && !propagated; attempt++) {
      try {
        await this.sync();
        propagated = true;
      } catch (err) {
        if (attempt === PROPAGATE_ATTEMPTS)
          this.#logger.error(
            { err, performanceId: input.performanceId },
            'sales switch recorded but not copied to Redis; the sync job retries',
          );
        else await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    this.#gate.invalidate();
    this.#logger.warn(
      { performanceId: input.performanceId, enabled: input.enabled, reason: input.reason, by: input.actorId },
      input.enabled ? 'sales re-enabled by an operator' : 'sales halted by an operator',
    );
    return { ...view(input.performanceId, state), propagated };
  }

  async get(performanceId: string): Promise<SalesSwitchView> {
    const owner = await this.#catalog.getPerformanceOwner(performanceId);
    if (owner === null) throw OpsErrors.performanceNotFound();
    return view(performanceId, await this.#repo.get(performanceId));
  }

  /** Copies PostgreSQL's state to Redis unless Redis already has that version (the sync job). */
  async sync(): Promise<boolean> {
    return this.#copy.write(await this.#repo.snapshot());
  }
}

function view(performanceId: string, s: SwitchState | null): SalesSwitchView {
  return {
    performanceId,
    enabled: s?.enabled ?? true,
    reason: s?.reason ?? null,
    changedBy: s?.changedBy ?? null,
    changedAt: s?.changedAt.toISOString() ?? null,
  };
}
