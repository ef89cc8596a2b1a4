import argon2 from 'argon2';
import type { Logger } from '../../platform/logger.ts';
import type { Principal, Role, TokenService } from '../../platform/tokens.ts';
import { IdentityErrors } from './errors.ts';
import type { User, UserRepository } from './user-repository.ts';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): strong, yet a login costs ~20 ms, not a core for 100 ms.
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, HASH_OPTIONS);
export const verifyPassword = (hash: string, password: string) => argon2.verify(hash, password);

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  role: Extract<Role, 'BUYER' | 'SELLER'>;
}

export async function signup(users: UserRepository, input: SignupInput): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const user = await users.insert({
    email: normaliseEmail(input.email),
    name: input.name.trim(),
    role: input.role,
    passwordHash,
  });
  if (user === null) throw IdentityErrors.emailTaken();
  return user;
}

/** The first start creates the admin from ADMIN_EMAIL / ADMIN_PASSWORD and warns to change the default. */
export async function bootstrapAdmin(
  users: UserRepository,
  logger: Logger,
  email: string,
  password: string,
  isDefaultPassword: boolean,
): Promise<void> {
  const existing = await users.findCredentials(normaliseEmail(email));
  if (existing === undefined) {
    await users.insert({
      email: normaliseEmail(email),
      name: 'Administrator',
      role: 'ADMIN',
      passwordHash: await hashPassword(password),
    });
    logger.info({ event: { action: 'admin-created' }, user: { email } }, 'admin account created');
  }
  if (isDefaultPassword) {
    logger.warn(
      { user: { email } },
      'the admin account uses the default password: set ADMIN_PASSWORD and change it',
    );
  }
}

export interface BulkAccount extends User {
  accessToken: string;
}

/**
 * Many accounts at once for load tests and concurrency tests: one multi-row insert sharing one
 * password hash, and access tokens signed with the configured key (no argon2 per account).
 */
export async function bulkCreateAccounts(
  users: UserRepository,
  tokens: TokenService,
  options: { count: number; role: Role; emailPrefix: string; password?: string; tokenTtlSeconds?: number },
): Promise<BulkAccount[]> {
  const passwordHash = await hashPassword(options.password ?? 'bulk-password');
  const created: User[] = [];
  for (let start = 0; start < options.count; start += 5000) {
    const batch = Array.from({ length: Math.min(5000, options.count - start) }, (_, i) => ({
      email: `${options.emailPrefix}${start + i}@bulk.queueticket.local`,
      name: `Bulk ${start + i}`,
      role: options.role,
      passwordHash,
    }));
    created.push(...(await users.insertMany(batch)));
  }
  return Promise.all(
    created.map(async (u) => ({
      ...u,
      accessToken: await tokens.signAccess(
        { userId: u.id, role: u.role } satisfies Principal,
        options.tokenTtlSeconds,
      ),
    })),
  );
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
