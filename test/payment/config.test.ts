import { describe, expect, it } from 'vitest';
import { loadPaymentSettings } from '../../src/modules/payment/settings.ts';
import { ConfigError, loadConfig, tossApiBase } from '../../src/platform/config.ts';

const prod = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-that-is-long-enough-0123' };

describe('payment configuration', () => {
  it('refuses a sandbox TOSS_API_BASE (or none) at start-up in production', () => {
    expect(() => loadConfig({ ...prod })).toThrow(ConfigError);
    expect(() => loadConfig({ ...prod, TOSS_API_BASE: 'http://127.0.0.1:8080/sandbox/toss' })).toThrow(
      ConfigError,
    );
    const ok = loadConfig({
      ...prod,
      TOSS_API_BASE: 'https://api.tosspayments.com/',
      TOSS_SECRET_KEY: 'live_sk_x',
    });
    expect(tossApiBase(ok)).toBe('https://api.tosspayments.com');
  });

  it('defaults to the built-in sandbox in development', () => {
    expect(tossApiBase(loadConfig({ HTTP_PORT: '9000' }))).toBe('http://127.0.0.1:9000/sandbox/toss');
  });

  it('parses its own settings and derives the lease from the retry budget', () => {
    const s = loadPaymentSettings({
      TOSS_TIMEOUT_MS: '1000',
      PAYMENT_RETRY_MAX: '2',
      PAYMENT_RETRY_CAP_MS: '500',
    });
    expect(s.leaseMs).toBe(3 * 2 * 1000 + 2 * 500 + 5000);
    expect(loadPaymentSettings({ PAYMENT_LEASE_MS: '1234' }).leaseMs).toBe(1234);
    expect(() => loadPaymentSettings({ PAYMENT_RETRY_MAX: 'lots' })).toThrow(/PAYMENT_RETRY_MAX/);
  });
});
