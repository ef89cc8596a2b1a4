import type { FastifyReply } from 'fastify';
import type { AppError, ErrorKind } from '../errors.ts';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export const statusOf = (kind: ErrorKind): number => STATUS_BY_KIND[kind];

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  [member: string]: unknown;
}

export function problemFrom(error: AppError): ProblemDocument {
  const status = statusOf(error.kind);
  return {
    ...error.extra,
    type: `https://queueticket.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titleOf(error.code),
    status,
    code: error.code,
    detail: error.message,
  };
}

function titleOf(code: string): string {
  const words = code.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  const doc = problemFrom(error);
  return reply.code(doc.status).type('application/problem+json; charset=utf-8').send(doc);
}
