/** Runs bench/lib/load-child.ts (autocannon in its own process) and reads its one-line JSON answer. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './system.ts';

const run = promisify(execFile);

export interface Step {
  name: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  /** May contain {holdId}: the id captured by an earlier step of the same connection. */
  path: string;
  /** 'randomSeat': `{seatIds:[...]}` of `seatsPerHold` random seats in `seatRange`; else sent as JSON. */
  body?: 'randomSeat' | Record<string, unknown>;
  auth?: boolean;
  admission?: boolean;
  capture?: 'holdId';
}

export interface LoadSpec {
  url: string;
  duration: number;
  connections: number;
  steps: Step[];
  /** JSON array of {t: accessToken, a?: admissionToken}; one user per sequence, in rotation. */
  usersFile?: string;
  seatRange?: [number, number];
  seatsPerHold?: number;
  /** First user of the rotation (default random). */
  startUser?: number;
  /** Also return every latency per step (to merge several load children exactly). */
  rawLatencies?: boolean;
}

export interface StepResult {
  count: number;
  rps: number;
  /** milliseconds, every answer (2xx and 4xx) */
  p50: number;
  p99: number;
  status: Record<string, number>;
  /** milliseconds, sorted; only with LoadSpec.rawLatencies */
  lat?: number[];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  seconds: number;
  steps: Record<string, StepResult>;
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['bench/lib/load-child.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOAD: JSON.stringify(spec) },
    maxBuffer: 8 << 20,
    timeout: (spec.duration + 60) * 1000,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as LoadResult;
}
