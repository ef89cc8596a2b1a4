import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyContextConfig,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Config } from '../config.ts';
import { AppError, Errors, isAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Principal, Role, TokenService } from '../tokens.ts';
import { fromDataException, fromDependencyError } from './dependency-errors.ts';
import { problemFrom, sendProblem } from './problem.ts';
import type { RateLimiter } from './rate-limit.ts';
import { lazyChildLogger } from './request-logger.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `public` routes need no token; everything else does (the safe default). */
    auth?: 'public' | 'required';
    roles?: readonly Role[];
    /** SSE routes may take `?access_token=` because EventSource cannot set headers. */
    tokenInQuery?: boolean;
    /** Exempt from the per-IP limit (health and metrics). */
    skipIpLimit?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The route's config, noted by the onRequest hook (request.routeOptions builds a new object per read). */
    routeConfig: FastifyContextConfig | null;
  }
}

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  tokens: TokenService;
  rateLimiter: RateLimiter;
}

/** The principal of an authenticated route; the onRequest hook guarantees it exists there. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw Errors.unauthenticated();
  return request.principal;
}

export function createHttpApp(deps: HttpDeps): HttpApp {
  const { config, logger, metrics, tokens, rateLimiter } = deps;
  const app = Fastify({
    loggerInstance: logger,
    // Per-request access lines would double log volume on the hot path; errors and 5xx are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is made on first use (most requests log nothing): see request-logger.ts
    childLoggerFactory: lazyChildLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: requestIds(),
    trustProxy: false,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    // Errors raised before routing (a malformed percent-escape, an over-long parameter) are problems too.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(
        reply,
        error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? Errors.validation('url', 'the URL is not valid (bad percent-encoding or a parameter too long)')
          : new AppError('internal', 'INTERNAL', 'an unexpected error occurred; it was logged'),
      ),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('principal', null);
  app.decorateRequest('routeConfig', null);
  // JSON only: a text/plain body is refused with 415 instead of reaching schema validation as a string.
  app.removeContentTypeParser('text/plain');

  const ipRule = { name: 'ip', limit: config.RATE_LIMIT_IP_PER_SECOND, windowMs: 1000 };

  /** The token's principal, then the route's auth and role rules: the error to answer with, or null. */
  const authenticate = (request: FastifyRequest, routeConfig: FastifyContextConfig): AppError | null => {
    const header = request.headers.authorization;
    let hasToken = false;
    if (typeof header === 'string' && header.startsWith('Bearer ')) {
      const principal = tokens.verifyBearerSync(header);
      hasToken = principal !== undefined;
      if (principal !== undefined) request.principal = principal;
    } else {
      const token = routeConfig.tokenInQuery === true ? queryToken(request) : null;
      hasToken = token !== null;
      if (token !== null) request.principal = tokens.verifyAccessSync(token);
    }
    if (routeConfig.auth === 'public' || request.is404) return null;
    if (request.principal === null) {
      return !hasToken
        ? Errors.unauthenticated()
        : Errors.unauthenticated('the access token is invalid or expired');
    }
    const roles = routeConfig.roles;
    if (roles !== undefined && !roles.includes(request.principal.role)) {
      return Errors.forbidden(`this action needs one of the roles ${roles.join(', ')}`);
    }
    return null;
  };

  // Callback-style hooks (no async function): on routes exempt from the per-IP check (the queue's join and
  // poll count it in their own script) the hook runs synchronously, without a promise or microtask hop.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const routeConfig = request.routeOptions.config;
    request.routeConfig = routeConfig;
    if (routeConfig.skipIpLimit === true) {
      done(authenticate(request, routeConfig) ?? undefined);
      return;
    }
    rateLimiter
      .hit(ipRule, request.ip)
      .then(() => authenticate(request, routeConfig))
      .then((error) => done(error ?? undefined), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const config = request.routeConfig ?? request.routeOptions.config;
    // Fastify's config of a route carries its url; the not-found handler's has none
    const route = (config as { url?: string }).url ?? 'unmatched';
    metrics.http.record(config, request.method, route, status, reply.elapsedTime / 1000);
    if (status >= 500) request.log.error({ http: { response: { status_code: status } } }, 'server error');
    done();
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (isAppError(error)) return sendProblem(reply, error);
    const mapped = fromFrameworkError(error);
    if (mapped !== null) return sendProblem(reply, mapped);
    const badValue = fromDataException(error);
    if (badValue !== null) {
      request.log.warn({ err: error }, 'request value refused by the database');
      return sendProblem(reply, badValue);
    }
    const unavailable = fromDependencyError(error);
    if (unavailable !== null) {
      request.log.warn({ err: error }, 'dependency unavailable');
      return sendProblem(reply, unavailable);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(
      reply,
      new AppError('internal', 'INTERNAL', 'an unexpected error occurred; it was logged'),
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new AppError('not_found', 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  return app;
}

/** `?access_token=` (SSE routes: EventSource cannot set headers), when there is no Bearer header. */
function queryToken(request: FastifyRequest): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : null;
}

/**
 * Request ids (when the client sent no `x-request-id`): UUID-shaped, a random prefix (new every 2^30
 * requests) and a decimal counter, so unique without 16 random bytes per request, and two string parts
 * rather than randomUUID's twenty (the id is a response header: Node flattens it to validate it).
 */
function requestIds(): () => string {
  let prefix = randomUUID().slice(0, 24);
  let n = 0;
  return () => {
    // a small-integer counter prints fast (a 48-bit one went through the runtime's radix conversion)
    n += 1;
    if (n > 0x3fffffff) {
      prefix = randomUUID().slice(0, 24);
      n = 1;
    }
    return prefix + String(n).padStart(12, '0');
  };
}

/** Framework errors (validation, body parsing, limits) become 4xx problems, never 500. */
function fromFrameworkError(error: FastifyError): AppError | null {
  if (error.validation !== undefined && error.validation.length > 0) {
    const first = error.validation[0];
    const context = error.validationContext ?? 'body';
    const path = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const field = [context, path, missing].filter(Boolean).join('.');
    return Errors.validation(field, `${field} ${first?.message ?? 'is invalid'}`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.validation('body', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return Errors.validation('body', 'the body is not valid JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError) return Errors.validation('body', 'the body is not valid JSON');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new AppError(
      status === 404 ? 'not_found' : 'validation',
      error.code ?? 'BAD_REQUEST',
      error.message,
    );
  }
  return null;
}

export type { FastifyReply, FastifyRequest };
export { problemFrom };
