import { describe, expect, it } from 'vitest';
import { fromDependencyError } from './dependency-errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('fromDependencyError', () => {
  it.each([
    ['pg connection failure', withCode('terminating connection', '08006')],
    ['pg admin shutdown', withCode('terminating connection due to administrator command', '57P01')],
    ['pg too many connections', withCode('sorry, too many clients already', '53300')],
    ['refused socket', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['redis closed', new Error('Connection is closed.')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('maps %s to 503 DEPENDENCY_UNAVAILABLE with Retry-After', (_name, error) => {
    const mapped = fromDependencyError(error);
    expect(mapped?.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(mapped?.kind).toBe('unavailable');
    expect(mapped?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it.each([
    ['a unique violation', withCode('duplicate key', '23505')],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an error', 'boom'],
  ])('leaves %s alone (a real bug stays a logged 500)', (_name, error) => {
    expect(fromDependencyError(error)).toBeNull();
  });
});
