import { describe, expect, it } from 'vitest';
import { TokenService } from './tokens.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('TokenService', () => {
  it('verifies its own access tokens, again from the cache, and refuses other keys', async () => {
    const tokens = new TokenService(SECRET, 60);
    const token = await tokens.signAccess({ userId: 'u1', role: 'SELLER' });
    expect(await tokens.verifyAccess(token)).toEqual({ userId: 'u1', role: 'SELLER' });
    expect(await tokens.verifyAccess(token)).toEqual({ userId: 'u1', role: 'SELLER' });
    const other = new TokenService('another-secret-that-is-long-enough-012345', 60);
    expect(await other.verifyAccess(token)).toBeNull();
  });

  it('stops accepting a cached token once it expires', async () => {
    const tokens = new TokenService(SECRET, 60);
    const token = await tokens.signAccess({ userId: 'u2', role: 'BUYER' }, 1);
    expect(await tokens.verifyAccess(token)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 2100));
    expect(await tokens.verifyAccess(token)).toBeNull();
  });

  it('never lets an admission token stand in for an access token', async () => {
    const tokens = new TokenService(SECRET, 60);
    const admission = await tokens.sign({ sch: 's1', role: 'BUYER' }, 'u3', 'admission', 60);
    expect(await tokens.verifyAccess(admission)).toBeNull();
  });
});
