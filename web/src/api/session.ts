import type { Role, TokenPair } from './types.ts';

/** The signed-in session, kept in localStorage so a reload (or a new tab) stays signed in. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** epoch ms when the access token stops being accepted */
  expiresAt: number;
  userId: string;
  role: Role;
}

const KEY = 'qt.session';
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw === null) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.accessToken !== 'string' || typeof parsed.refreshToken !== 'string') return null;
    return parsed as Session;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function sessionFromTokens(pair: TokenPair): Session {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
    userId: pair.user.id,
    role: pair.user.role,
  };
}

export function setSession(next: Session | null): void {
  current = next;
  try {
    if (next === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // private mode: the session lives in memory only
  }
  for (const listener of listeners) listener(next);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signed in, refreshed or out: follow it.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY) return;
    current = read();
    for (const listener of listeners) listener(current);
  });
}
