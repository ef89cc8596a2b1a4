import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import * as authApi from '../api/auth.ts';
import { refreshSession } from '../api/client.ts';
import { getSession, onSessionChange, type Session } from '../api/session.ts';
import type { Role, User } from '../api/types.ts';

interface AuthValue {
  session: Session | null;
  user: User | null;
  role: Role | null;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(getSession);
  const [user, setUser] = useState<User | null>(null);
  useEffect(() => onSessionChange(setSession), []);

  const userId = session?.userId ?? null;
  useEffect(() => {
    if (userId === null) {
      setUser(null);
      return;
    }
    let live = true;
    authApi.me().then(
      (u) => live && setUser(u),
      () => live && setUser(null),
    );
    return () => {
      live = false;
    };
  }, [userId]);

  // Refresh before the access token lapses (a minute before, or at 80% of a short lifetime), so
  // streams and pages never see it expire; a lapsed one is refreshed on its first 401 anyway.
  const expiresAt = session?.expiresAt ?? null;
  const accessToken = session?.accessToken ?? null;
  useEffect(() => {
    if (expiresAt === null || accessToken === null) return;
    const left = expiresAt - Date.now();
    const wait = Math.max(1_000, left - Math.min(60_000, left / 5));
    const id = setTimeout(() => void refreshSession(accessToken), wait);
    return () => clearTimeout(id);
  }, [expiresAt, accessToken]);

  const value = useMemo<AuthValue>(
    () => ({
      session,
      user,
      role: session?.role ?? null,
      login: authApi.login,
      logout: authApi.logout,
    }),
    [session, user],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error('useAuth outside AuthProvider');
  return value;
}
