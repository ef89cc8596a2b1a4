/**
 * Inputs for the fuzzer: values that follow an OpenAPI/JSON schema closely enough to get past the first
 * check, then one field broken (wrong type, boundary, missing, extra), plus fast-check's arbitrary JSON.
 */
import fc from 'fast-check';

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
  pattern?: string;
};

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const int = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

export const WEIRD: readonly unknown[] = [
  null,
  -1,
  0,
  1.5,
  -0.0001,
  2 ** 31,
  2 ** 53,
  1e308,
  -1e308,
  '',
  ' ',
  'x'.repeat(10_000),
  '𝄞'.repeat(300),
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  '9999-99-99T99:99:99Z',
  '1970-01-01T00:00:00Z',
  '2262-04-12T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  'NaN',
  '-0',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  true,
  [],
  {},
  [null],
  { __proto__: { polluted: 1 } },
  { constructor: { prototype: { polluted: 1 } } },
  '١٢٣',
  '1e400',
  Array.from({ length: 200 }, (_, i) => i),
];

/** A value the schema accepts (roughly); `ids` feeds uuid-formatted strings. */
export function sample(schema: Schema | undefined, ids: readonly string[], depth = 0): unknown {
  if (schema === undefined || depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined) return sample(pick(branches), ids, depth + 1);
  const type = Array.isArray(schema.type) ? pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) {
        if ((schema.required ?? []).includes(k) || Math.random() < 0.6) out[k] = sample(v, ids, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = int(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, (schema.minItems ?? 0) + 4));
      return Array.from({ length: n }, () => sample(schema.items, ids, depth + 1));
    }
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? -1000;
      const hi = Math.min(schema.maximum ?? lo + 100_000, lo + 1e9);
      return type === 'integer' ? int(Math.ceil(lo), Math.floor(hi)) : lo + Math.random() * (hi - lo);
    }
    case 'boolean':
      return Math.random() < 0.5;
    case 'null':
      return null;
    default: {
      if (schema.format === 'uuid') return pick(ids);
      if (schema.format === 'date-time')
        return new Date(Date.now() + int(-30, 30) * 86_400_000).toISOString();
      if (schema.format === 'email') return `fuzz${int(0, 1e6)}@example.com`;
      const lo = schema.minLength ?? 1;
      const hi = Math.min(schema.maxLength ?? lo + 20, lo + 40);
      return 'abcdefghij'.repeat(8).slice(0, int(lo, hi));
    }
  }
}

/** Breaks one place of a valid-ish value. */
export function mutate(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return pick(WEIRD);
  const copy = structuredClone(value) as Record<string, unknown> | unknown[];
  const keys = Object.keys(copy);
  const r = Math.random();
  if (keys.length === 0 || r < 0.15) {
    (copy as Record<string, unknown>)[pick(['extra', '__proto__', 'constructor', 'x'.repeat(300)])] =
      pick(WEIRD);
    return copy;
  }
  const k = pick(keys);
  const inner = (copy as Record<string, unknown>)[k];
  if (r < 0.3) delete (copy as Record<string, unknown>)[k];
  else if (r < 0.55 && inner !== null && typeof inner === 'object')
    (copy as Record<string, unknown>)[k] = mutate(inner);
  else (copy as Record<string, unknown>)[k] = pick(WEIRD);
  return copy;
}

const anything = fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true });
export const arbitraryJson = (): unknown => fc.sample(anything, 1)[0];
export const arbitraryString = (): string =>
  fc.sample(fc.string({ unit: 'binary', maxLength: 200 }), 1)[0] ?? '';

/** A path/query/header string: a known id, a broken id, or arbitrary text. */
export function scalar(ids: readonly string[]): string {
  const r = Math.random();
  if (r < 0.45) return pick(ids);
  if (r < 0.6)
    return pick([
      '0',
      '-1',
      '1e999',
      '9'.repeat(40),
      'null',
      'undefined',
      '%00',
      '..%2F..%2F',
      '%E0%A4%A',
      'true',
      '[]',
      '{}',
    ]);
  if (r < 0.8) return String(pick(WEIRD)).slice(0, 2000);
  return arbitraryString();
}

/** Header values must be visible ASCII (or the client refuses to send them). */
export const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 6000);

export const RAW_BODIES: readonly string[] = [
  '{',
  '{"a":',
  '[',
  'null',
  '"just a string"',
  '123',
  '{"__proto__":{"polluted":true}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
  '\u0000',
  '{"x":"\\ud800"}',
  '{"a":1,"a":2}',
  'x'.repeat(70_000),
];
