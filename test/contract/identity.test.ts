import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, call, expectProblem, login, type System, signup, startSystem } from './support.ts';

/** API.md "Identity". */
let s: System;
let seller: Account;
let buyer: Account;

beforeAll(async () => {
  s = await startSystem('id');
  [seller, buyer] = await Promise.all([signup(s, 'SELLER'), signup(s, 'BUYER')]);
});
afterAll(async () => s?.close());

describe('Identity', () => {
  it('signup → 201 {id, email, name, role} for BUYER and SELLER; other roles → 400', async () => {
    const email = `ct-id-${Date.now()}@test.local`;
    const res = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email,
      password: 'password-123',
      name: 'Ada',
      role: 'SELLER',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), email, name: 'Ada', role: 'SELLER' });
    expect(res.body).not.toHaveProperty('password');
    expect(res.body).not.toHaveProperty('passwordHash');
    const admin = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email: `x${email}`,
      password: 'password-123',
      name: 'Eve',
      role: 'ADMIN',
    });
    expectProblem(admin, 400, 'VALIDATION_FAILED');
  });

  it('duplicate email → 409 EMAIL_TAKEN; password under 8 characters → 400 naming password', async () => {
    const dup = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email: buyer.email,
      password: 'password-123',
      name: 'Twin',
      role: 'BUYER',
    });
    expectProblem(dup, 409, 'EMAIL_TAKEN');
    const short = await call(s, null, 'POST', '/api/v1/auth/signup', {
      email: `short-${Date.now()}@test.local`,
      password: '1234567',
      name: 'Short',
      role: 'BUYER',
    });
    expect(JSON.stringify(expectProblem(short, 400, 'VALIDATION_FAILED'))).toContain('password');
  });

  it('login → 200 {accessToken, refreshToken, expiresIn, user:{id, role}}; wrong credentials → 401 INVALID_CREDENTIALS', async () => {
    const ok = await login(s, buyer.email, buyer.password);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: expect.any(Number),
      user: { id: buyer.id, role: 'BUYER' },
    });
    expectProblem(await login(s, buyer.email, 'wrong-password'), 401, 'INVALID_CREDENTIALS');
    expectProblem(
      await login(s, `nobody-${Date.now()}@test.local`, 'whatever-1'),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('refresh → a new pair; a reused refresh token revokes its family', async () => {
    const first = await login(s, buyer.email, buyer.password);
    const r1 = await call<{ accessToken: string; refreshToken: string }>(
      s,
      null,
      'POST',
      '/api/v1/auth/refresh',
      {
        refreshToken: first.body.refreshToken,
      },
    );
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });
    expect(r1.body.refreshToken).not.toBe(first.body.refreshToken);
    expect((await call(s, r1.body.accessToken, 'GET', '/api/v1/me')).status).toBe(200);
    // the old one again: refused, and the family (including the new one) is revoked
    const reuse = await call(s, null, 'POST', '/api/v1/auth/refresh', {
      refreshToken: first.body.refreshToken,
    });
    expect(reuse.status).toBe(401);
    const after = await call(s, null, 'POST', '/api/v1/auth/refresh', { refreshToken: r1.body.refreshToken });
    expect(after.status).toBe(401);
  });

  it('logout → 204, and the session cannot be refreshed after', async () => {
    const session = await login(s, buyer.email, buyer.password);
    const out = await call(s, session.body.accessToken, 'POST', '/api/v1/auth/logout', {
      refreshToken: session.body.refreshToken,
    });
    expect(out.status).toBe(204);
    const again = await call(s, null, 'POST', '/api/v1/auth/refresh', {
      refreshToken: session.body.refreshToken,
    });
    expect(again.status).toBe(401);
  });

  it('GET /me → {id, email, name, role}', async () => {
    const me = await call(s, seller, 'GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: seller.id,
      email: seller.email,
      name: expect.any(String),
      role: 'SELLER',
    });
  });
});
