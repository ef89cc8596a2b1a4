import type { FastifyReply, FastifyRequest, HttpApp } from '../../../platform/http/app.ts';
import { createdIdOf, inputSummary } from './summary.ts';
import type { AuditWriter } from './writer.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const audited = (request: FastifyRequest): boolean => {
  const role = request.principal?.role;
  return (role === 'SELLER' || role === 'ADMIN') && !READS.has(request.method);
};

/**
 * Records every successful (2xx) write of a SELLER or ADMIN, whatever module's route it was: one
 * `onSend` hook notes the id a create answered with, one `onResponse` hook hands the entry to the
 * batching writer. Both must be on the root instance (src/roles/api.ts passes it to registerRoutes):
 * hooks on the root reach every route, those of an encapsulated plugin only its own. Buyers, reads
 * and refused requests cost one property check.
 */
export function registerAuditHooks(app: HttpApp, writer: AuditWriter): void {
  const created = new WeakMap<FastifyRequest, string>();

  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 200 && reply.statusCode < 300 && audited(request)) {
      const id = createdIdOf(payload);
      if (id !== null) created.set(request, id);
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 200 && reply.statusCode < 300 && audited(request)) {
      writer.record(entryOf(request, reply, created.get(request) ?? null));
    }
    done();
  });
}

function entryOf(request: FastifyRequest, reply: FastifyReply, createdId: string | null) {
  const principal = request.principal;
  if (principal === null) throw new Error('audited request without a principal');
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? request.url;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const paramValues = Object.values(params).filter((v): v is string => typeof v === 'string');
  return {
    at: new Date(),
    actorId: principal.userId,
    actorRole: principal.role as 'SELLER' | 'ADMIN',
    action: `${request.method} ${route}`,
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    target: paramValues.at(-1) ?? createdId,
    requestId: String(request.id),
    statusCode: reply.statusCode,
    input: inputSummary({ params, query: request.query, body: request.body }),
  };
}
