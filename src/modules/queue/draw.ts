import { createHash, randomBytes } from 'node:crypto';

/**
 * The pre-queue draw: a seeded, replayable, unbiased shuffle. Anyone holding the recorded seed and
 * the participants (ticket numbers ascending) can recompute the order in any language:
 *
 * - random stream: SHA-256(seed bytes ‖ counter as 8-byte big-endian), counter 0, 1, 2, …; each digest
 *   gives eight unsigned 32-bit big-endian integers, used in order;
 * - uniform integer in [0, n): rejection sampling (draw x, accept when x < n·⌊2³²/n⌋, answer x mod n),
 *   so no value is favoured;
 * - Fisher–Yates: for i from n−1 down to 1, swap item i with item uniform(i+1).
 */
export const DRAW_ALGORITHM = 'sha256-ctr/rejection/fisher-yates-v1';

export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

export class SeededRandom {
  readonly #seed: Buffer;
  #counter = 0n;
  #block: Buffer = Buffer.alloc(0);
  #offset = 0;

  constructor(seedHex: string) {
    if (!/^[0-9a-f]+$/i.test(seedHex) || seedHex.length % 2 !== 0) throw new Error('seed must be hex');
    this.#seed = Buffer.from(seedHex, 'hex');
  }

  nextUint32(): number {
    if (this.#offset >= this.#block.length) {
      const counter = Buffer.alloc(8);
      counter.writeBigUInt64BE(this.#counter);
      this.#counter += 1n;
      this.#block = createHash('sha256').update(this.#seed).update(counter).digest();
      this.#offset = 0;
    }
    const value = this.#block.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** Uniform in [0, n), n ≥ 1, without modulo bias. */
  uniformInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new Error('n out of range');
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}

/** Fisher–Yates on a copy; the same seed and input always give the same order. */
export function seededShuffle<T>(items: readonly T[], seedHex: string): T[] {
  const out = [...items];
  const random = new SeededRandom(seedHex);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.uniformInt(i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

export interface DrawRecord {
  seed: string;
  algorithm: string;
  /** Ticket numbers of the pre-queue, ascending (the input of the shuffle). */
  participantTickets: number[];
  participantUsers: string[];
  /** Ticket numbers in drawn order: index 0 is the front of the queue. */
  resultTickets: number[];
}

/** Draws the order of the pre-queue participants (any order in; sorted by ticket before shuffling). */
export function drawOrder(
  participants: readonly { ticket: number; userId: string }[],
  seed: string,
): DrawRecord {
  const sorted = [...participants].sort((a, b) => a.ticket - b.ticket);
  const tickets = sorted.map((p) => p.ticket);
  return {
    seed,
    algorithm: DRAW_ALGORITHM,
    participantTickets: tickets,
    participantUsers: sorted.map((p) => p.userId),
    resultTickets: seededShuffle(tickets, seed),
  };
}

/** Recomputes a recorded draw from its seed; true when it gives exactly the recorded order. */
export function replayMatches(record: DrawRecord): boolean {
  if (record.algorithm !== DRAW_ALGORITHM) return false;
  const again = seededShuffle(record.participantTickets, record.seed);
  return again.length === record.resultTickets.length && again.every((t, i) => t === record.resultTickets[i]);
}
