import { describe, expect, it } from 'vitest';
import { fromDataException, fromDependencyError } from './dependency-errors.ts';

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

describe('fromDataException', () => {
  it.each([
    ['a NUL in text', withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021')],
    ['a number out of range', withCode('value "1e400" is out of range for type bigint', '22003')],
    ['invalid text for a type', withCode('invalid input syntax for type integer: "Infinity"', '22P02')],
  ])('maps %s to 400 VALIDATION_FAILED', (_name, error) => {
    expect(fromDataException(error)?.code).toBe('VALIDATION_FAILED');
    expect(fromDataException(error)?.kind).toBe('validation');
  });

  it('leaves other database errors alone', () => {
    expect(fromDataException(withCode('duplicate key', '23505'))).toBeNull();
    expect(fromDataException(withCode('too many clients', '53300'))).toBeNull();
  });
});
