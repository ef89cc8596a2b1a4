import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import type { Logger } from '../logger.ts';

const PARENT = Symbol('parent');
const BINDINGS = Symbol('bindings');
const REAL = Symbol('real');

interface Lazy {
  [PARENT]: Logger;
  [BINDINGS]: Bindings;
  [REAL]: Logger | undefined;
}

const LOG_METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const protos = new WeakMap<Logger, object>();

/**
 * Fastify's `childLoggerFactory`: the request's logger (`request.log`, with the request id bound) is
 * made only when something is logged through it. Fastify makes a pino child for every request, which
 * serialises the bindings each time (~0.3 µs); the hot routes log nothing on success, so most requests
 * never need one. Logging methods and `child` build the real child on first use; every other member
 * (level, isLevelEnabled, …) is the parent's, as a child without its own options would answer.
 */
export function lazyChildLogger(
  base: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  // a route with its own log level or serializers: an ordinary child
  if (options.level !== undefined || options.serializers !== undefined) return base.child(bindings, options);
  const parent = base as Logger;
  const lazy = Object.create(protoOf(parent)) as Lazy;
  lazy[PARENT] = parent;
  lazy[BINDINGS] = bindings;
  lazy[REAL] = undefined;
  return lazy as unknown as FastifyBaseLogger;
}

function protoOf(parent: Logger): object {
  let proto = protos.get(parent);
  if (proto !== undefined) return proto;
  const real = (self: Lazy): Logger => {
    let child = self[REAL];
    if (child === undefined) {
      child = self[PARENT].child(self[BINDINGS]);
      self[REAL] = child;
    }
    return child;
  };
  proto = Object.create(parent) as object;
  for (const method of LOG_METHODS) {
    Object.defineProperty(proto, method, {
      value(this: Lazy, ...args: unknown[]) {
        if (method !== 'silent' && !this[PARENT].isLevelEnabled(method)) return undefined;
        const child = real(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return child[method]?.(...args);
      },
    });
  }
  Object.defineProperty(proto, 'child', {
    value(this: Lazy, bindings: Bindings, options?: ChildLoggerOptions) {
      return real(this).child(bindings, options);
    },
  });
  Object.defineProperty(proto, 'bindings', {
    value(this: Lazy) {
      return real(this).bindings();
    },
  });
  protos.set(parent, proto);
  return proto;
}
