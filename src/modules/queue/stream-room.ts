import type { ServerResponse } from 'node:http';
import type { BatchView } from './store.ts';

/** The stream hub's per-client and per-schedule state (stream.ts). */
export interface Client {
  res: ServerResponse;
  userId: string;
  nextId: number;
  lastPosition: number | null;
  lastPositionAt: number;
  lastWrite: number;
  admittedSent: boolean;
  paused: boolean;
  done: boolean;
  /** WAITING at the last read and told its position: it cannot move while the queue's head stays put */
  synced: boolean;
}

export interface Room {
  scheduleId: string;
  users: Map<string, Set<Client>>;
  timer: NodeJS.Timeout | null;
  ticking: Promise<void> | null;
  again: boolean;
  /** when the last full round read the states (Date.now()) */
  readAt: number;
  /** the queue's head at the last read (what moves waiting positions), and when every waiter was read */
  head: string;
  fullAt: number;
  /** the head moved at the last full read: read everyone in one go again (the busy case) */
  moving: boolean;
}

export const CHUNK = 1000;
/** A quiet queue's waiters are read at least this often anyway. */
export const FULL_MS = 10_000;

export function newRoom(scheduleId: string): Room {
  return {
    scheduleId,
    users: new Map(),
    timer: null,
    ticking: null,
    again: false,
    readAt: Date.now(),
    head: '',
    fullAt: 0,
    moving: true,
  };
}

/**
 * The queue's head as a round read it: everything that can move a waiter's position or state without
 * the waiter doing anything (admissions, leaves from the waiting set, the draw, pause, close, halt,
 * a rebuilt queue). Joins go to the back and move nobody.
 */
export function headOf(v: BatchView, halted: boolean): string {
  const h = v.header;
  return `${h.epoch}|${h.paused}|${v.closedReason}|${h.leftWhileWaiting}|${h.admittedTotal}|${h.drawn}|${halted}`;
}
