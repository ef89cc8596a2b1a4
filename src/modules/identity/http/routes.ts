import { Value } from 'typebox/value';
import type { Config } from '../../../platform/config.ts';
import { Errors } from '../../../platform/errors.ts';
import { type HttpApp, principalOf } from '../../../platform/http/app.ts';
import type { RateLimiter } from '../../../platform/http/rate-limit.ts';
import type { TokenService } from '../../../platform/tokens.ts';
import { normaliseEmail, signup } from '../accounts.ts';
import type { RefreshTokenRepository } from '../refresh-token-repository.ts';
import { login, refresh } from '../sessions.ts';
import type { UserRepository } from '../user-repository.ts';
import { LoginBody, LogoutBody, RefreshBody, SignupBody, TokenPairView, UserView } from './schemas.ts';

export interface IdentityRouteDeps {
  config: Config;
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  tokens: TokenService;
  rateLimiter: RateLimiter;
}

export function registerIdentityRoutes(app: HttpApp, deps: IdentityRouteDeps): void {
  const { users, refreshTokens, tokens, rateLimiter, config } = deps;

  app.post(
    '/api/v1/auth/signup',
    {
      config: { auth: 'public' },
      schema: { tags: ['identity'], body: SignupBody, response: { 201: UserView } },
    },
    async (request, reply) => reply.code(201).send(await signup(users, request.body)),
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: { tags: ['identity'], body: LoginBody, response: { 200: TokenPairView } },
    },
    async (request) => {
      // Per IP generously (carrier NAT puts many buyers on one address), per account tightly.
      await rateLimiter.hit(
        { name: 'login-ip', limit: config.RATE_LIMIT_LOGIN_IP_PER_MINUTE, windowMs: 60_000 },
        request.ip,
      );
      await rateLimiter.hit(
        { name: 'login-account', limit: config.RATE_LIMIT_LOGIN_ACCOUNT_PER_MINUTE, windowMs: 60_000 },
        normaliseEmail(request.body.email),
      );
      return login(users, refreshTokens, tokens, request.body.email, request.body.password);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { auth: 'public' },
      schema: { tags: ['identity'], body: RefreshBody, response: { 200: TokenPairView } },
    },
    async (request) => refresh(users, refreshTokens, tokens, request.body.refreshToken),
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['identity'] } }, async (request, reply) => {
    // The body is optional (a bare logout signs out every session), so it is checked here, not by Fastify.
    const body = request.body ?? {};
    if (!Value.Check(LogoutBody, body))
      throw Errors.validation('body.refreshToken', 'refreshToken must be a string');
    await refreshTokens.revoke(principalOf(request).userId, body.refreshToken);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', { schema: { tags: ['identity'], response: { 200: UserView } } }, async (request) => {
    const user = await users.findById(principalOf(request).userId);
    if (user === undefined) throw Errors.notFound('account');
    return user;
  });
}
