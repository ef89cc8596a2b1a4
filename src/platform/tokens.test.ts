import { createHmac } from 'node:crypto';
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

describe('HS256 verification', () => {
  const tokens = new TokenService(SECRET, 60);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const mac = (input: string, secret = SECRET) =>
    createHmac('sha256', secret).update(input).digest('base64url');
  const forge = (header: unknown, payload: unknown, secret = SECRET) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${mac(input, secret)}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const good = () => ({ sub: 'u9', role: 'BUYER', iss: 'queueticket', aud: 'access', exp: now() + 60 });

  it('accepts a well-formed token from another signer (header without typ, audience in an array)', () => {
    expect(tokens.verifyAccessSync(forge({ alg: 'HS256' }, good()))).toEqual({ userId: 'u9', role: 'BUYER' });
    const arrayAud = { ...good(), sub: 'u10', aud: ['other', 'access'] };
    expect(tokens.verifyAccessSync(forge({ alg: 'HS256', typ: 'JWT' }, arrayAud))?.userId).toBe('u10');
  });

  it('refuses tampering, other algorithms, other keys and malformed tokens', async () => {
    const token = await tokens.signAccess({ userId: 'u11', role: 'BUYER' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const admin = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'ADMIN' });
    const refused = [
      `${h}.${admin}.${s}`, // payload changed, old signature
      `${b64({ alg: 'none' })}.${p}.`, // no signature
      forge({ alg: 'none' }, good()), // alg none
      forge({ alg: 'HS512' }, good()),
      forge({ alg: 'HS256', crit: ['exp'] }, good()),
      forge({ alg: 'HS256' }, good(), 'another-secret-that-is-long-enough-012345'),
      `${token}x`,
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      '',
      'not a token',
      `${h}..${s}`,
    ];
    for (const t of refused) expect(tokens.verifyAccessSync(t), t).toBeNull();
  });

  it('refuses wrong or missing issuer, audience, expiry and subject, and a future nbf', () => {
    const { iss: _iss, ...noIss } = good();
    const { aud: _aud, ...noAud } = good();
    const { exp: _exp, ...noExp } = good();
    const { sub: _sub, ...noSub } = good();
    const refused = [
      { ...good(), iss: 'elsewhere' },
      noIss,
      { ...good(), aud: 'admission' },
      noAud,
      { ...good(), exp: now() - 1 },
      { ...good(), exp: String(now() + 60) },
      noExp,
      noSub,
      { ...good(), nbf: now() + 60 },
    ];
    for (const claims of refused) expect(tokens.verifyAccessSync(forge({ alg: 'HS256' }, claims))).toBeNull();
    expect(tokens.verifyAccessSync(forge({ alg: 'HS256' }, { ...good(), nbf: now() - 1 }))).not.toBeNull();
  });
});
