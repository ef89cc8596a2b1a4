import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../db.ts';
import { AppError, Errors, isAppError } from '../errors.ts';
import { problemFrom, statusOf } from './problem.ts';

export interface HandlerResult {
  statusCode: number;
  body: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,300}$/;
const ABANDONED_AFTER_MS = 120_000;

/**
 * `Idempotency-Key` for writes that create or charge something: scoped to (user, method, concrete
 * path), kept 24 h. Same key + same body → the first response again; another body → 409
 * IDEMPOTENCY_KEY_REUSED; while the first still runs → 409 IDEMPOTENCY_KEY_IN_USE. 5xx are not kept.
 */
export class Idempotency {
  readonly #db: Kysely<PlatformTables>;

  constructor(db: Kysely<PlatformTables>) {
    this.#db = db;
  }

  async run(
    request: FastifyRequest,
    reply: FastifyReply,
    action: () => Promise<HandlerResult>,
  ): Promise<FastifyReply> {
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return send(reply, await action());
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined || !KEY_PATTERN.test(key)) {
      throw Errors.validation(
        'headers.idempotency-key',
        'Idempotency-Key must be 1–300 visible ASCII characters',
      );
    }
    const userId = request.principal?.userId ?? 'anonymous';
    const scope = `${userId} ${request.method} ${request.url.split('?')[0]}`;
    const requestHash = hashBody(request.body);

    if (!(await this.#claim(scope, key, requestHash))) return this.#replay(reply, scope, key, requestHash);

    let result: HandlerResult;
    try {
      result = await action();
    } catch (error) {
      if (isAppError(error) && statusOf(error.kind) < 500) {
        await this.#store(scope, key, { statusCode: statusOf(error.kind), body: problemFrom(error) });
      } else {
        await this.#forget(scope, key);
      }
      throw error;
    }
    if (result.statusCode < 500) await this.#store(scope, key, result);
    else await this.#forget(scope, key);
    return send(reply, result);
  }

  /**
   * Claims the key. A claim left IN_PROGRESS by a process that died mid-request would block the key
   * for 24 h; after ABANDONED_AFTER_MS it is taken over (the work it guarded is idempotent below:
   * provider calls carry their own keys, Redis scripts and unique indexes refuse doubles).
   */
  async #claim(scope: string, key: string, requestHash: string): Promise<boolean> {
    const claimed = await this.#db
      .insertInto('idempotency_keys')
      .values({
        scope,
        idem_key: key,
        request_hash: requestHash,
        state: 'IN_PROGRESS',
        status_code: null,
        response_body: null,
      })
      .onConflict((oc) =>
        oc
          .columns(['scope', 'idem_key'])
          .doUpdateSet({ created_at: new Date() })
          .where((eb) =>
            eb.and([
              eb('idempotency_keys.state', '=', 'IN_PROGRESS'),
              eb('idempotency_keys.request_hash', '=', requestHash),
              eb('idempotency_keys.created_at', '<', new Date(Date.now() - ABANDONED_AFTER_MS)),
            ]),
          ),
      )
      .returning('scope')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  async #replay(reply: FastifyReply, scope: string, key: string, requestHash: string): Promise<FastifyReply> {
    const row = await this.#db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'state', 'status_code', 'response_body', 'created_at'])
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('conflict', 'IDEMPOTENCY_KEY_IN_USE', 'retry this request');
    if (row.request_hash !== requestHash) {
      throw Errors.conflict(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with a different request body',
      );
    }
    if (row.state === 'IN_PROGRESS' || row.status_code === null) {
      throw Errors.conflict(
        'IDEMPOTENCY_KEY_IN_USE',
        'a request with this Idempotency-Key is still being processed',
      );
    }
    reply.header('idempotent-replayed', 'true');
    if (row.status_code >= 400) reply.type('application/problem+json; charset=utf-8');
    return reply.code(row.status_code).send(row.response_body);
  }

  async #store(scope: string, key: string, result: HandlerResult): Promise<void> {
    await this.#db
      .updateTable('idempotency_keys')
      .set({
        state: 'DONE',
        status_code: result.statusCode,
        response_body: JSON.stringify(result.body ?? null),
      })
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .execute();
  }

  async #forget(scope: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .execute();
  }
}

function send(reply: FastifyReply, result: HandlerResult): FastifyReply {
  return reply.code(result.statusCode).send(result.body);
}

function hashBody(body: unknown): string {
  return createHash('sha256')
    .update(stableStringify(body ?? null))
    .digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
