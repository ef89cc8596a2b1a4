import type { Generated, Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db.ts';
import type { Role } from '../../platform/tokens.ts';

export type IdentityTables = {
  users: {
    id: Generated<string>;
    email: string;
    name: string;
    role: Role;
    password_hash: string;
    created_at: Generated<Date>;
  };
  refresh_tokens: {
    id: string;
    family_id: string;
    user_id: string;
    token_hash: string;
    expires_at: Date;
    used_at: Date | null;
    revoked_at: Date | null;
    created_at: Generated<Date>;
  };
};

export type IdentityDb = Kysely<PlatformTables & IdentityTables>;
