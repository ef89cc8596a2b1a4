import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/harness.ts';
import { checkA11y } from './a11y.ts';
import type { BrowserEnv } from './browser-env.ts';
import { admitted, createCampaign, createShow, crowdedShow, type Show } from './fixtures.ts';
import {
  type Account,
  account,
  loginToken,
  openPage,
  screenshot,
  type WebApp,
  waitInQueue,
} from './support.ts';

/** Selects the seat under the keyboard cursor after `moves` presses of ArrowRight from the first seat. */
async function pickSeat(page: Page, moves: number): Promise<void> {
  const map = page.getByTestId('seat-map');
  await map.focus();
  await map.press('Home');
  for (let i = 0; i < moves; i += 1) await map.press('ArrowRight');
  await map.press('Enter');
}

export function buyerScenarios(env: BrowserEnv): void {
  let t: WebApp;
  let browser: Browser;
  let seller: Account;
  let show: Show;
  beforeAll(async () => {
    ({ t, browser } = env);
    seller = await account(t.baseUrl, 'SELLER', 'web-seller');
    show = await createShow(t.baseUrl, seller, { title: 'Aurora Nights: Seoul' });
  }, 60_000);

  describe('web UI: a buyer', () => {
    it('goes from the landing page through the queue, seats, a coupon and a sandbox payment to a paid order', async () => {
      const admin = await loginToken(t.baseUrl, t.admin.email, t.admin.password);
      const campaignId = await createCampaign(t.baseUrl, admin, {
        name: 'Welcome 10%',
        kind: 'PERCENTAGE',
        value: 10,
        maxDiscount: 20000,
      });
      const showCampaignId = await createCampaign(t.baseUrl, seller.token, {
        name: 'Aurora ₩5,000',
        kind: 'FIXED',
        value: 5000,
        performanceId: show.performanceId,
      });

      const { context, page, errors } = await openPage(browser, t.baseUrl, 'buyer');

      // sign up through the UI (lands back on the page asked for)
      await page.goto('/signup');
      await checkA11y(page, 'signup');
      const email = `web-buyer-${Date.now().toString(36)}@test.local`;
      await page.getByLabel('Name').fill('Web Buyer');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('web-buyer-password');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.waitForURL('**/');

      // claim the platform coupon from its campaign page
      await page.goto(`/campaigns/${campaignId}`);
      await expect.poll(() => page.getByTestId('campaign-remaining').textContent()).toContain('50 of 50');
      await checkA11y(page, 'campaign');
      await screenshot(page, 'campaign');
      await page.getByRole('button', { name: 'Claim coupon' }).click();
      await page.getByTestId('claim-ok').waitFor();
      await expect.poll(() => page.getByTestId('campaign-remaining').textContent()).toContain('49 of 50');

      // landing → search → performance page
      await page.goto('/');
      await page.getByRole('link', { name: 'Aurora Nights: Seoul' }).waitFor();
      await checkA11y(page, 'home');
      await screenshot(page, 'home');
      await page.getByLabel('Search').fill('Aurora');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'Aurora Nights: Seoul' }).click();
      await page.getByRole('heading', { name: 'Aurora Nights: Seoul' }).waitFor();
      // the tab's title names the page (its h1)
      await expect.poll(() => page.title()).toBe('Aurora Nights: Seoul · QueueTicket');
      await checkA11y(page, 'performance');
      await screenshot(page, 'performance');

      // the show's own coupon, claimed from the performance page
      await page.getByRole('link', { name: 'Aurora ₩5,000' }).click();
      await page.waitForURL(`**/campaigns/${showCampaignId}`);
      await page.getByRole('button', { name: 'Claim coupon' }).click();
      await page.getByTestId('claim-ok').waitFor();
      await page.goBack();

      // waiting room → "you're in"
      await page.getByRole('link', { name: 'Join the queue' }).click();
      await page.getByTestId('admitted').waitFor();
      await expect.poll(() => page.getByRole('heading', { name: "You're in!" }).isVisible()).toBe(true);
      await checkA11y(page, 'queue-admitted');
      await screenshot(page, 'queue-admitted');
      await page.getByRole('link', { name: 'Choose seats' }).click();

      // seat map: two R seats side by side with the keyboard
      await page.getByTestId('seat-live').filter({ hasText: 'Live' }).waitFor();
      await pickSeat(page, 0);
      await pickSeat(page, 1);
      await expect.poll(() => page.getByTestId('selected-seats').locator('li').count()).toBe(2);
      expect(await page.getByTestId('selection-total').textContent()).toContain('300,000');
      await checkA11y(page, 'seat-map');
      await screenshot(page, 'seat-map');
      await page.getByRole('button', { name: 'Hold 2 seat(s)' }).click();

      // checkout: the best coupon (10% capped at 20,000 beats 5,000) is pre-selected
      await page.getByRole('heading', { name: 'Checkout' }).waitFor();
      await page.getByTestId('hold-countdown').waitFor();
      await page.getByRole('button', { name: 'More time' }).click();
      const welcome = page.getByRole('radio', { name: /Welcome 10%/ });
      expect(await welcome.isChecked()).toBe(true);
      expect(await page.getByRole('radio', { name: /Aurora ₩5,000/ }).isChecked()).toBe(false);
      expect(await page.getByTestId('checkout-total').textContent()).toContain('280,000');
      await checkA11y(page, 'checkout');
      await screenshot(page, 'checkout');

      // a declined card first: the order stays payable
      await page.getByLabel('Simulate a declined card').check();
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.getByRole('alert').filter({ hasText: 'declined' }).waitFor();
      await page.getByLabel('Simulate a declined card').uncheck();
      await page.getByRole('button', { name: /Try paying again/ }).click();

      // paid
      await page.getByTestId('payment-success').waitFor();
      expect(await page.getByTestId('order-card').getAttribute('data-status')).toBe('PAID');
      await checkA11y(page, 'order-paid');
      await screenshot(page, 'order-paid');

      const token = await loginToken(t.baseUrl, email, 'web-buyer-password');
      const orders = await api<{ status: string; amount: number; discount: number }[]>(
        t.baseUrl,
        'GET',
        '/api/v1/me/orders',
        { token },
      );
      expect(orders.body.map((o) => [o.status, o.amount, o.discount])).toEqual([['PAID', 280000, 20000]]);

      await page.getByRole('link', { name: 'My orders', exact: true }).click();
      await page.getByTestId('order-card').first().waitFor();
      // a page change moves focus to the new content (not left on the header's link)
      expect(await page.locator('main').evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
      await checkA11y(page, 'my-orders');
      await screenshot(page, 'my-orders');

      // refund one of the two seats
      await page.getByRole('checkbox', { name: /Floor A-2/ }).check();
      await page.getByRole('button', { name: 'Refund 1 selected' }).click();
      await page.getByRole('button', { name: 'Yes' }).click();
      await expect
        .poll(() => page.getByTestId('order-card').first().getAttribute('data-status'), { timeout: 15_000 })
        .toBe('PARTIALLY_REFUNDED');
      await page.getByRole('link', { name: 'My coupons', exact: true }).click();
      await page.getByTestId('coupon-card').first().waitFor();
      await checkA11y(page, 'my-coupons');
      await screenshot(page, 'my-coupons');
      expect(errors).toEqual([]);
      await context.close();
    }, 150_000);

    it('racing another buyer for the same seat, sees it taken', async () => {
      const [a, b] = [
        await account(t.baseUrl, 'BUYER', 'racer-a'),
        await account(t.baseUrl, 'BUYER', 'racer-b'),
      ];
      const pages: Page[] = [];
      for (const buyer of [a, b]) {
        const { page } = await openPage(browser, t.baseUrl, `racer-${pages.length}`, { as: buyer });
        await page.goto(`/performances/${show.performanceId}/schedules/${show.scheduleId}/queue`);
        await page.getByRole('link', { name: 'Choose seats' }).click();
        await page.getByTestId('seat-live').filter({ hasText: 'Live' }).waitFor();
        pages.push(page);
      }
      const [pageA, pageB] = pages as [Page, Page];
      // the first buyer's two seats are sold: both now pick the first free seat of the map
      for (const page of pages) {
        await pickSeat(page, 2);
        await expect.poll(() => page.getByTestId('selected-seats').locator('li').count()).toBe(1);
      }
      const chosenA = await pageA.getByTestId('selected-seats').textContent();
      expect(await pageB.getByTestId('selected-seats').textContent()).toBe(chosenA);
      const freeBefore = await pageB.getByTestId('grade-available-R').textContent();

      await pageA.getByRole('button', { name: 'Hold 1 seat(s)' }).click();
      await pageA.getByRole('heading', { name: 'Checkout' }).waitFor();

      // B is told without reloading (the seat stream), and its selection is emptied
      await pageB.getByTestId('seat-notice').filter({ hasText: 'Just taken' }).waitFor({ timeout: 10_000 });
      await expect.poll(() => pageB.getByTestId('selected-seats').locator('li').count()).toBe(0);
      expect(await pageB.getByTestId('grade-available-R').textContent()).not.toBe(freeBefore);
      await screenshot(pageB, 'seat-taken');

      // and a hold attempt on it is refused: choose the same seat again and try
      await pageB.getByTestId('seat-map').press('Enter');
      await pageB.getByTestId('seat-notice').filter({ hasText: 'not available' }).waitFor();

      await pageA.context().close();
      await pageB.context().close();
    }, 120_000);

    it('keeps its place in the queue when the access token has lapsed (refresh, same ticket)', async () => {
      const { show: small, first } = await crowdedShow(t.baseUrl, seller, 'Tiny Room');
      const buyer = await account(t.baseUrl, 'BUYER', 'tiny-waiter');
      const { context, page, errors } = await openPage(browser, t.baseUrl, 'refresh', { as: buyer });
      await waitInQueue(page, small, 1);
      await checkA11y(page, 'queue-waiting');
      const ticket = await page.getByTestId('queue-ticket').textContent();

      // the stored access token stops being accepted (as after its TTL): the app refreshes and rejoins
      const stale = await page.evaluate(() => {
        const session = JSON.parse(localStorage.getItem('qt.session') ?? '{}') as { accessToken: string };
        session.accessToken = `${session.accessToken}x`;
        localStorage.setItem('qt.session', JSON.stringify(session));
        return session.accessToken;
      });
      await page.reload();
      // (a refresh and a rejoin first: slow on a loaded machine)
      await expect
        .poll(() => page.getByTestId('queue-position').textContent(), { timeout: 10_000 })
        .toBe('1');
      expect(await page.getByTestId('queue-ticket').textContent()).toBe(ticket);
      await page.getByTestId('queue-mode').filter({ hasText: 'Live' }).waitFor();
      const fresh = await page.evaluate(
        () => (JSON.parse(localStorage.getItem('qt.session') ?? '{}') as { accessToken: string }).accessToken,
      );
      expect(fresh).not.toBe(stale);

      // and is let in once the slot frees
      await api(t.baseUrl, 'DELETE', `/api/v1/schedules/${small.scheduleId}/queue/me`, {
        token: first.token,
      });
      await page.getByTestId('admitted').waitFor({ timeout: 15_000 });
      expect(errors).toEqual([]);
      await context.close();
    }, 90_000);

    it('works at phone width and in Korean', async () => {
      const buyer = await account(t.baseUrl, 'BUYER', 'phone');
      await admitted(t.baseUrl, buyer, show.scheduleId);
      const { context, page, errors } = await openPage(browser, t.baseUrl, 'phone', {
        lang: 'ko',
        phone: true,
      });
      await page.goto('/');
      await page.getByRole('heading', { name: '붐비지 않는 티켓팅' }).waitFor();
      await checkA11y(page, 'phone-home-ko');
      await screenshot(page, 'phone-home-ko');
      await page.goto('/login');
      await checkA11y(page, 'phone-login-ko');
      await page.getByLabel('이메일').fill(buyer.email);
      await page.getByLabel('비밀번호').fill(buyer.password);
      await page.getByRole('button', { name: '로그인' }).click();
      await page.waitForURL('**/');
      await page.goto(`/performances/${show.performanceId}/schedules/${show.scheduleId}/seats`);
      await page.getByTestId('seat-live').filter({ hasText: '실시간' }).waitFor();
      await checkA11y(page, 'phone-seat-map-ko');
      await screenshot(page, 'phone-seat-map-ko');
      // switch language with the toggle
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Choose your seats' }).waitFor();
      expect(errors).toEqual([]);
      await context.close();
    }, 90_000);
  });
}
