import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.ts';
import type { PlatformTables } from '../../platform/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import type { RateLimiter } from '../../platform/http/rate-limit.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Role, TokenService } from '../../platform/tokens.ts';
import {
  type BulkAccount,
  bootstrapAdmin,
  bulkCreateAccounts,
  hashPassword,
  normaliseEmail,
} from './accounts.ts';
import { registerIdentityRoutes } from './http/routes.ts';
import { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { IdentityTables } from './tables.ts';
import { type User, UserRepository } from './user-repository.ts';

export type { BulkAccount, User };

export interface IdentityDeps {
  db: Kysely<PlatformTables>;
  config: Config;
  logger: Logger;
  tokens: TokenService;
  rateLimiter: RateLimiter;
}

/** Accounts, passwords, sessions and roles. Other modules use `findUser` and never the tables. */
export function createIdentityModule(deps: IdentityDeps) {
  const db = deps.db.withTables<IdentityTables>();
  const users = new UserRepository(db);
  const refreshTokens = new RefreshTokenRepository(db, deps.config.REFRESH_TOKEN_TTL_SECONDS);
  return {
    registerRoutes: (app: HttpApp) =>
      registerIdentityRoutes(app, {
        config: deps.config,
        users,
        refreshTokens,
        tokens: deps.tokens,
        rateLimiter: deps.rateLimiter,
      }),
    bootstrapAdmin: () =>
      bootstrapAdmin(
        users,
        deps.logger,
        deps.config.ADMIN_EMAIL,
        deps.config.ADMIN_PASSWORD,
        deps.config.ADMIN_PASSWORD === 'admin-password',
      ),
    findUser: (id: string) => users.findById(id),
    /** The account with this email, created with these details when missing (demo data, fixtures). */
    async ensureAccount(
      email: string,
      password: string,
      name: string,
      role: Role,
    ): Promise<{ user: User; created: boolean }> {
      const existing = await users.findCredentials(normaliseEmail(email));
      if (existing !== undefined) {
        const { password_hash: _hash, ...user } = existing;
        return { user, created: false };
      }
      const passwordHash = await hashPassword(password);
      const user = await users.insert({ email: normaliseEmail(email), name, role, passwordHash });
      if (user !== null) return { user, created: true };
      // Lost a race with another process creating it: read the winner's row.
      const winner = await users.findCredentials(normaliseEmail(email));
      if (winner === undefined) throw new Error(`account ${email} vanished`);
      const { password_hash: _h, ...other } = winner;
      return { user: other, created: false };
    },
    bulkCreateAccounts: (options: {
      count: number;
      role: Role;
      emailPrefix: string;
      tokenTtlSeconds?: number;
    }) => bulkCreateAccounts(users, deps.tokens, options),
  };
}

export type IdentityModule = ReturnType<typeof createIdentityModule>;
