import { Type } from 'typebox';

export const Email = Type.String({ format: 'email', maxLength: 254 });

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Type.Union([Type.Literal('BUYER'), Type.Literal('SELLER')]),
  },
  { additionalProperties: false },
);

export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
});

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const LogoutBody = Type.Object(
  { refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);

export const TokenPairView = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer(),
  user: Type.Object({ id: Type.String(), role: Type.String() }),
});
