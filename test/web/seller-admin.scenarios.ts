import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import { checkA11y } from './a11y.ts';
import type { BrowserEnv } from './browser-env.ts';
import { buyThroughApi, createShow, crowdedShow, seatIds } from './fixtures.ts';
import { type Account, account, loginUi, openPage, screenshot, type WebApp, waitInQueue } from './support.ts';

export function sellerAdminScenarios(env: BrowserEnv): void {
  let t: WebApp;
  let browser: Browser;
  beforeAll(() => {
    ({ t, browser } = env);
  });

  describe('web UI: a seller', () => {
    it('creates a venue and a show, runs a coupon campaign and sees a sale', async () => {
      const seller = await account(t.baseUrl, 'SELLER', 'ui-seller');
      const { context, page, errors } = await openPage(browser, t.baseUrl, 'seller');
      await loginUi(page, seller.email, seller.password, { audit: 'login' });

      // venue editor: two seated sections
      await page.getByRole('link', { name: 'Venues' }).click();
      await page.getByLabel('Venue name').fill('Olympic Hall');
      await page.getByLabel('Address').fill('Songpa-gu, Seoul');
      await page.getByLabel('Section name').fill('Floor');
      await page.getByLabel('Rows').fill('5');
      await page.getByLabel('Seats per row').fill('10');
      await page.getByRole('button', { name: 'Add section' }).click();
      await page.getByLabel('Section name').nth(1).fill('Balcony');
      await page.getByLabel('Rows').nth(1).fill('3');
      await page.getByLabel('Seats per row').nth(1).fill('8');
      await checkA11y(page, 'seller-venues');
      await screenshot(page, 'seller-venue-editor');
      await page.getByRole('button', { name: 'Create venue' }).click();
      await page.getByTestId('venue-card').filter({ hasText: 'Olympic Hall' }).waitFor();
      expect(await page.getByTestId('venue-card').first().textContent()).toContain('74 places');

      // a show on it: grades, section grades, one date, on sale now
      await page.getByRole('link', { name: 'My shows' }).click();
      await page.getByRole('link', { name: 'New show' }).click();
      await page.getByLabel('Title').fill('Seller Made Live');
      await page.getByLabel('Floor (50)').selectOption('R');
      await page.getByLabel('Balcony (24)').selectOption('S');
      await checkA11y(page, 'seller-new-show');
      await screenshot(page, 'seller-new-show');
      await page.getByRole('button', { name: 'Create show' }).click();
      await page.getByRole('heading', { name: 'Seller Made Live' }).waitFor();
      await expect.poll(() => page.getByTestId('sold-total').textContent()).toBe('0');
      const performanceId = page.url().split('/').pop() ?? '';
      const perf = await api<{ schedules: { id: string }[] }>(
        t.baseUrl,
        'GET',
        `/api/v1/performances/${performanceId}`,
      );
      const scheduleId = perf.body.schedules[0]?.id ?? '';

      // a coupon campaign whose issued / remaining count moves live
      await page.getByRole('link', { name: 'Coupons' }).first().click();
      await page.getByLabel('Name').fill('Opening week 15%');
      await page.getByLabel('Percent off').fill('15');
      await page.getByLabel('Coupons in total').fill('20');
      await page.getByRole('button', { name: 'Create campaign' }).click();
      const row = page.getByTestId('campaign-row').filter({ hasText: 'Opening week 15%' });
      await row.waitFor();
      expect(await row.textContent()).toContain('0 / 20');
      const campaigns = await api<{ items: { id: string; name: string }[] }>(
        t.baseUrl,
        'GET',
        `/api/v1/coupon-campaigns?performanceId=${performanceId}`,
      );
      const campaignId = campaigns.body.items.find((c) => c.name === 'Opening week 15%')?.id ?? '';
      const fan = await account(t.baseUrl, 'BUYER', 'fan');
      const claim = await api(t.baseUrl, 'POST', `/api/v1/coupon-campaigns/${campaignId}/issue`, {
        token: fan.token,
      });
      expect(claim.status).toBe(202);
      await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('1 / 20');
      await checkA11y(page, 'seller-campaigns');
      await screenshot(page, 'seller-campaigns');

      // a buyer pays for a seat: the sales table shows it without a reload
      await page.goBack();
      await page.getByRole('heading', { name: 'Seller Made Live' }).waitFor();
      const [firstSeat] = await seatIds(t.baseUrl, scheduleId);
      await buyThroughApi(t.baseUrl, fan, scheduleId, firstSeat ?? 0);
      await expect.poll(() => page.getByTestId('sold-total').textContent(), { timeout: 15_000 }).toBe('1');
      await checkA11y(page, 'seller-sales');
      await screenshot(page, 'seller-sales');
      expect(errors).toEqual([]);
      await context.close();
    }, 150_000);
  });

  describe('web UI: an admin', () => {
    let seller: Account;
    beforeAll(async () => {
      seller = await account(t.baseUrl, 'SELLER', 'queue-seller');
    });

    it('pauses a queue and a waiting buyer sees the pause', async () => {
      // someone already holds the only active slot, so the next buyer waits
      const { show } = await crowdedShow(t.baseUrl, seller, 'One At A Time');
      const buyer = await account(t.baseUrl, 'BUYER', 'waiter');
      const waiter = await openPage(browser, t.baseUrl, 'waiter', { as: buyer });
      const { page: buyerPage, errors } = waiter;
      await waitInQueue(buyerPage, show, 1);
      await buyerPage.getByTestId('queue-mode').filter({ hasText: 'Live' }).waitFor();
      // more buyers queue up behind
      const others = await Promise.all(
        Array.from({ length: 6 }, (_, i) => account(t.baseUrl, 'BUYER', `behind${i}`)),
      );
      for (const other of others) {
        await api(t.baseUrl, 'POST', `/api/v1/schedules/${show.scheduleId}/queue`, { token: other.token });
      }
      await screenshot(buyerPage, 'queue-waiting');

      const admin = await openPage(browser, t.baseUrl, 'admin', { as: t.admin });
      const adminPage = admin.page;
      await adminPage.goto(`/admin/queues?schedule=${show.scheduleId}`);
      await expect.poll(() => adminPage.getByTestId('dash-tiles').textContent()).toContain('Waiting7');
      await adminPage.getByRole('button', { name: 'Pause admissions' }).click();
      await adminPage.getByTestId('dash-paused').waitFor();

      await buyerPage.getByTestId('queue-paused').waitFor({ timeout: 10_000 });
      await checkA11y(buyerPage, 'queue-paused');
      await screenshot(buyerPage, 'queue-paused');

      // resume and raise the cap from the controls: the waiting buyers are let in, two a second
      await adminPage.getByRole('button', { name: 'Resume admissions' }).click();
      await buyerPage.getByTestId('queue-paused').waitFor({ state: 'detached', timeout: 10_000 });
      await adminPage.getByLabel('Admissions per second').fill('2');
      await adminPage.getByLabel('Most buyers choosing at once').fill('20');
      await adminPage.getByRole('button', { name: 'Save' }).click();
      await buyerPage.getByTestId('admitted').waitFor({ timeout: 15_000 });
      await expect
        .poll(() => adminPage.getByTestId('dash-tiles').textContent(), { timeout: 15_000 })
        .toContain('Waiting0');
      expect(await adminPage.getByTestId('dash-tiles').textContent()).toContain('Admitted in total8');
      await checkA11y(adminPage, 'admin-queue-dashboard');
      await screenshot(adminPage, 'admin-queue-dashboard');
      expect(errors).toEqual([]);

      // reconciliation report
      await adminPage.getByRole('link', { name: 'Reconciliation' }).click();
      await adminPage.getByRole('button', { name: 'Compare' }).click();
      await adminPage.getByTestId('recon-report').waitFor();
      await checkA11y(adminPage, 'admin-reconciliation');
      await screenshot(adminPage, 'admin-reconciliation');
      await waiter.context.close();
      await admin.context.close();
    }, 120_000);

    it('runs a settlement that the seller downloads as CSV', async () => {
      const show = await createShow(t.baseUrl, seller, { title: 'Settled Show' });
      const fan = await account(t.baseUrl, 'BUYER', 'settle-fan');
      const [seat] = await seatIds(t.baseUrl, show.scheduleId);
      await buyThroughApi(t.baseUrl, fan, show.scheduleId, seat ?? 0);

      const admin = await openPage(browser, t.baseUrl, 'admin-settle', { as: t.admin });
      const adminPage = admin.page;
      await adminPage.getByRole('link', { name: 'Settlements' }).click();
      // the sale reaches the ledger through the outbox, Kafka and the worker: run until it is settled
      const sellerSettlements = async () =>
        (await api<unknown[]>(t.baseUrl, 'GET', '/api/v1/seller/settlements', { token: seller.token })).body
          .length;
      for (let attempt = 0; attempt < 15 && (await sellerSettlements()) === 0; attempt += 1) {
        await adminPage.waitForTimeout(1000); // the period ends after the sale
        await adminPage.reload();
        await adminPage.getByRole('button', { name: 'Run', exact: true }).click();
        await adminPage
          .getByRole('status')
          .filter({ hasText: /\d+ settlement\(s\) in this period/ })
          .waitFor({ timeout: 45_000 });
      }
      expect(await sellerSettlements()).toBe(1);
      await checkA11y(adminPage, 'admin-settlements');
      await admin.context.close();

      const { context, page } = await openPage(browser, t.baseUrl, 'seller-settle', { as: seller });
      await page.getByRole('link', { name: 'Settlements' }).click();
      await page.getByRole('button', { name: 'Show lines' }).first().click();
      await page.getByRole('cell', { name: 'SALE' }).first().waitFor();
      await checkA11y(page, 'seller-settlements');
      await screenshot(page, 'seller-settlements');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).first().click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^settlement-.+\.csv$/);
      await context.close();
    }, 120_000);
  });
}
