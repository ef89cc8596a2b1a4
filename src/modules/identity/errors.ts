import { AppError } from '../../platform/errors.ts';

export const IdentityErrors = {
  emailTaken: () => new AppError('conflict', 'EMAIL_TAKEN', 'an account with this email already exists'),
  invalidCredentials: () =>
    new AppError('unauthenticated', 'INVALID_CREDENTIALS', 'email or password is wrong'),
  invalidRefreshToken: () =>
    new AppError(
      'unauthenticated',
      'INVALID_REFRESH_TOKEN',
      'the refresh token is invalid, expired or revoked',
    ),
  refreshTokenReused: () =>
    new AppError(
      'unauthenticated',
      'REFRESH_TOKEN_REUSED',
      'this refresh token was already used; every session of its family was signed out',
    ),
};
