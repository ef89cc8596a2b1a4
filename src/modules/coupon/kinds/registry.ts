import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CouponKind } from './kind.ts';

const NOT_KINDS = new Set(['kind.ts', 'registry.ts']);
const NAME = /^[A-Z][A-Z0-9_]{0,39}$/;

/**
 * The coupon kinds, by name. Every `*.ts` file of this folder (other than kind.ts and this one)
 * is a kind module exporting `kind`; they are loaded once when the module graph loads, so adding a
 * kind is adding one file. A malformed or duplicate kind stops start-up instead of misbehaving later.
 */
export class KindRegistry {
  readonly #kinds: ReadonlyMap<string, CouponKind>;

  constructor(kinds: readonly CouponKind[]) {
    const map = new Map<string, CouponKind>();
    for (const k of kinds) {
      if (!NAME.test(k.name))
        throw new Error(`coupon kind name ${JSON.stringify(k.name)} is not UPPER_SNAKE`);
      if (map.has(k.name)) throw new Error(`coupon kind ${k.name} is defined twice`);
      map.set(k.name, k);
    }
    this.#kinds = map;
  }

  get(name: string): CouponKind | undefined {
    return this.#kinds.get(name);
  }

  names(): string[] {
    return [...this.#kinds.keys()].sort();
  }

  all(): CouponKind[] {
    return this.names().map((n) => this.#kinds.get(n) as CouponKind);
  }
}

function isKind(v: unknown): v is CouponKind {
  if (typeof v !== 'object' || v === null) return false;
  const k = v as Record<string, unknown>;
  return (
    typeof k.name === 'string' &&
    typeof k.description === 'string' &&
    typeof k.validateConfig === 'function' &&
    typeof k.isApplicable === 'function' &&
    typeof k.discount === 'function'
  );
}

async function discoverKinds(): Promise<CouponKind[]> {
  const folder = new URL('./', import.meta.url);
  const files = readdirSync(fileURLToPath(folder))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && !NOT_KINDS.has(f))
    .sort();
  const kinds: CouponKind[] = [];
  for (const file of files) {
    const mod: { kind?: unknown } = await import(new URL(file, folder).href);
    if (!isKind(mod.kind)) throw new Error(`coupon kind module ${file} must export \`kind: CouponKind\``);
    kinds.push(mod.kind);
  }
  return kinds;
}

/** Every kind of this folder (top-level await: ready before any importer runs). */
export const KINDS = new KindRegistry(await discoverKinds());
