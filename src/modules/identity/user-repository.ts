import type { Role } from '../../platform/tokens.ts';
import type { IdentityDb } from './tables.ts';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

const PUBLIC_COLUMNS = ['id', 'email', 'name', 'role'] as const;

export class UserRepository {
  readonly #db: IdentityDb;

  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Null when the email is taken (unique index), so a race between two signups has one winner. */
  async insert(user: NewUser): Promise<User | null> {
    const row = await this.#db
      .insertInto('users')
      .values({ email: user.email, name: user.name, role: user.role, password_hash: user.passwordHash })
      .onConflict((oc) => oc.column('email').doNothing())
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirst();
    return row ?? null;
  }

  async insertMany(users: readonly NewUser[]): Promise<User[]> {
    if (users.length === 0) return [];
    return this.#db
      .insertInto('users')
      .values(
        users.map((u) => ({ email: u.email, name: u.name, role: u.role, password_hash: u.passwordHash })),
      )
      .returning(PUBLIC_COLUMNS)
      .execute();
  }

  findById(id: string): Promise<User | undefined> {
    return this.#db.selectFrom('users').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  findCredentials(email: string): Promise<(User & { password_hash: string }) | undefined> {
    return this.#db
      .selectFrom('users')
      .select([...PUBLIC_COLUMNS, 'password_hash'])
      .where('email', '=', email)
      .executeTakeFirst();
  }
}
