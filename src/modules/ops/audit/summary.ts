/**
 * The audit log keeps a summary of what an action was given, not a copy: secrets are masked, long
 * strings and lists are cut, deep nesting is flattened, and the whole stays under a few kilobytes.
 */
const SECRET = /pass(word)?|secret|token|authorization|cookie|card(number)?|cvc|cvv|account(number)?/i;
const MAX_STRING = 200;
const MAX_ITEMS = 20;
const MAX_KEYS = 40;
const MAX_DEPTH = 4;
const MAX_BYTES = 4096;

function summarise(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(${value.length} chars)` : value;
  if (typeof value !== 'object') return String(value);
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => summarise(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`…(${value.length} items)`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries.slice(0, MAX_KEYS)) {
    out[key] = SECRET.test(key) ? '[redacted]' : summarise(v, depth + 1);
  }
  if (entries.length > MAX_KEYS) out['…'] = `${entries.length} keys`;
  return out;
}

/** `{params?, query?, body?}` of a request, redacted and bounded. */
export function inputSummary(parts: { params?: unknown; query?: unknown; body?: unknown }): unknown {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parts)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[name] = summarise(value, 0);
  }
  const text = JSON.stringify(out);
  if (text.length <= MAX_BYTES) return out;
  return { truncated: true, bytes: text.length, head: text.slice(0, MAX_BYTES) };
}

/** The `id` of a JSON object response (what a create made), if any. */
export function createdIdOf(payload: unknown): string | null {
  if (typeof payload !== 'string' || payload.length > 65_536 || !payload.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    const id = parsed.id ?? parsed.holdId ?? parsed.orderId;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  } catch {
    return null;
  }
}
