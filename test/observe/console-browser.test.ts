/**
 * The web console in a real browser (headless Chromium): a `nano server` with a token holding `sum` (two
 * versions) and `items` (WAGI), and a `nano dev` whose build fails. What a user does — log in, read the
 * list, open a function, call it, roll back, watch the log, invoke — and what they must see. The run
 * leaves a screenshot of a function's page in test-output/console.png (a CI artifact).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeTempProjects } from '../helpers/project.js';
import { chromiumPath, launch, MISSING_CHROMIUM, watchedPage, type PageProblem } from './browser.js';
import {
  EXEC_TOKEN,
  UNBUILDABLE_SUM_WAT,
  startConsoleDev,
  startConsoleServer,
  TOKEN,
  type ConsoleDev,
  type ConsoleServer,
} from './console-server.js';

const SCREENSHOT = join(REPO_ROOT, 'test-output', 'console.png');
const WAIT = { timeout: 20_000 };
const missing = chromiumPath() === undefined ? MISSING_CHROMIUM : undefined;
const skipped = process.env.NANO_SKIP_BROWSER === '1';

if (missing !== undefined && !skipped) {
  describe('the web console in a browser', () => {
    it('needs chromium', () => {
      throw new Error(`${missing}. Set NANO_SKIP_BROWSER=1 to skip the browser tests.`);
    });
  });
}

const exec = (target: ConsoleServer, query = '') =>
  fetch(`${target.url}/exec/sum${query}`, { headers: { authorization: `Bearer ${EXEC_TOKEN}` } });

/** Only what the test provoked: the browser logs the 401 of a refused login as a failed resource. */
const unexpected = (problems: PageProblem[]) =>
  problems.filter((problem) => !(problem.kind === 'console' && problem.url.endsWith('/_nano/login') && problem.text.includes('401')));

describe.skipIf(missing !== undefined)(
  skipped ? `web console browser tests skipped: ${missing} (NANO_SKIP_BROWSER=1)` : 'the web console in a browser',
  () => {
    let browser: Browser;
    let target: ConsoleServer;
    let page: Page;
    let problems: PageProblem[];

    beforeAll(async () => {
      target = await startConsoleServer({ execToken: true });
      browser = await launch();
      ({ page, problems } = await watchedPage(browser));
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await target?.server.close();
      await removeTempProjects();
    });

    it('loads with no console errors and asks for the token', async () => {
      await page.goto(`${target.url}/_nano/`);
      await page.getByLabel('Server token').waitFor(WAIT);
      expect(problems).toEqual([]);
    });

    it('refuses a wrong token and stays on the login form with a clear message', async () => {
      await page.getByLabel('Server token').fill('not-the-token');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.locator('#login-error').textContent(), WAIT).toContain('Wrong token');
      expect(await page.getByLabel('Server token').isVisible()).toBe(true);
      expect(await page.locator('table.functions').count()).toBe(0);
    });

    it('lists the functions after the right token, with versions and routes', async () => {
      await page.getByLabel('Server token').fill(TOKEN);
      await page.keyboard.press('Enter');
      await page.locator('tr[data-function="sum"]').waitFor(WAIT);
      const rows = await page.locator('table.functions tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-function')));
      expect(rows).toEqual(['items', 'sum', 'trap']);
      const sum = page.locator('tr[data-function="sum"]');
      expect(await sum.locator('[data-label="Version"]').textContent()).toBe('v2');
      expect(await sum.locator('[data-label="Routes"]').textContent()).toBe('GET /sum');
      expect(await page.locator('tr[data-function="items"] [data-label="ABI"]').textContent()).toBe('wagi');
    });

    it('opens a function by keyboard alone', async () => {
      const link = page.getByRole('link', { name: 'sum', exact: true });
      // Tab through the page (a bounded number of stops) until the link has the focus, then Enter.
      for (let stops = 0; stops < 30 && !(await link.evaluate((element) => element === element.ownerDocument.activeElement)); stops++) {
        await page.keyboard.press('Tab');
      }
      expect(await link.evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
      // The list refreshes under the focus (new figures after calls), and the focus stays on the link.
      const errors = page.locator('tr[data-function="trap"] [data-label="Errors"]');
      expect(await errors.textContent()).toBe('0');
      const trapped = await fetch(`${target.url}/exec/trap`, { headers: { authorization: `Bearer ${EXEC_TOKEN}` } });
      expect(trapped.status).toBe(500);
      await expect.poll(() => errors.textContent(), WAIT).toBe('1');
      expect(await link.evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
      await page.keyboard.press('Enter');
      await page.locator('#invoke-args').waitFor(WAIT);
      expect(page.url()).toContain('#/f/sum');
    });

    it('updates the chart and the figures after calls', async () => {
      const charted = () => page.locator('#chart-throughput').getAttribute('data-calls').then(Number);
      const before = await charted();
      for (let i = 0; i < 25; i++) expect((await exec(target)).status).toBe(200);
      await expect.poll(charted, WAIT).toBeGreaterThanOrEqual(before + 25);
      await expect.poll(() => page.locator('#fig-calls').textContent().then(Number), WAIT).toBeGreaterThanOrEqual(25);
      expect(await page.locator('#chart-throughput canvas').count()).toBe(1);
    });

    it('shows a new line in the log tail after a call', async () => {
      const call = await exec(target);
      const requestId = call.headers.get('x-nano-request-id')!;
      await page.locator(`#log-tail li[data-request-id="${requestId}"]`).waitFor(WAIT);
      expect(await page.locator('#log-state').textContent()).toBe('● live');
    });

    it('invokes the function from the form and shows its answer', async () => {
      await page.getByLabel('Arguments (comma-separated)').fill('');
      await page.getByRole('button', { name: 'Invoke' }).click();
      await expect.poll(() => page.locator('#invoke-body-out').textContent(), WAIT).toBe('2');
      expect(await page.locator('#invoke-result').textContent()).toContain('HTTP 200');
    });

    it('rolls back from the page, and the platform serves the older version', async () => {
      await page.getByRole('button', { name: 'Roll back to v1' }).click();
      // A second, explicit click: the rollback changes what every caller gets.
      await page.getByRole('button', { name: 'Serve v1 instead of v2' }).click();
      await expect.poll(() => page.locator('#rollback-status').textContent(), WAIT).toContain('Now serving v1');
      const call = await exec(target);
      expect(call.headers.get('x-nano-version')).toBe('1');
      expect(await call.text()).toBe('1');
      await expect.poll(() => page.locator('#current-version').textContent(), WAIT).toBe('v1');
      expect(target.actions).toContainEqual(expect.objectContaining({ action: 'rollback', target: 'sum', result: 'ok' }));
    });

    it('leaves a screenshot of a function page with data', async () => {
      // Calls over a few seconds, some failing (wrong arguments), so that the charts have a shape to show.
      const secondsWithCalls = () =>
        page.evaluate(async () => {
          const series = (await (await fetch('api/functions/sum/series?seconds=60')).json()) as { points: { calls: number }[] };
          return series.points.filter((point) => point.calls > 0).length;
        });
      for (let round = 0; round < 2000 && (await secondsWithCalls()) < 10; round++) {
        for (let i = 0; i < 1 + (round % 5); i++) await exec(target, (round + i) % 11 === 0 ? '?1,2,3' : '');
      }
      await expect.poll(() => page.locator('#chart-throughput').getAttribute('data-calls').then(Number), WAIT).toBeGreaterThan(40);
      await mkdir(join(REPO_ROOT, 'test-output'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(unexpected(problems)).toEqual([]);
    });

    it('stays readable at a phone width of 375 px: the table stacks, nothing scrolls sideways', async () => {
      const phone = await watchedPage(browser, { width: 375, height: 740 });
      await phone.page.goto(`${target.url}/_nano/`);
      await phone.page.getByLabel('Server token').fill(TOKEN);
      await phone.page.keyboard.press('Enter');
      await phone.page.locator('tr[data-function="sum"]').waitFor(WAIT);
      // A string: the test's TypeScript has no DOM types; the browser evaluates it.
      const widths = await phone.page.evaluate<{ page: number; view: number }>(
        '({ page: document.documentElement.scrollWidth, view: window.innerWidth })',
      );
      expect(widths.page).toBeLessThanOrEqual(widths.view);
      // Stacked: each figure on its own line under the name, not a column beside the one before.
      const sum = phone.page.locator('tr[data-function="sum"]');
      const [version, abi] = await Promise.all([
        sum.locator('[data-label="Version"]').boundingBox(),
        sum.locator('[data-label="ABI"]').boundingBox(),
      ]);
      expect(abi!.y).toBeGreaterThan(version!.y);
      expect(abi!.x).toBe(version!.x);
      await phone.page.screenshot({ path: join(REPO_ROOT, 'test-output', 'console-phone.png'), fullPage: true });
      expect(phone.problems).toEqual([]);
      await phone.page.close();
    });

    describe('nano dev', () => {
      let dev: ConsoleDev;
      beforeAll(async () => {
        dev = await startConsoleDev(UNBUILDABLE_SUM_WAT);
      });
      afterAll(async () => {
        await dev?.session.close();
      });

      it('needs no login and shows the build error with its file:line:column', async () => {
        const watched = await watchedPage(browser);
        await watched.page.goto(`${dev.url}/_nano/`);
        const banner = watched.page.locator('#build.failed');
        await banner.waitFor(WAIT);
        expect(await banner.locator('.location').first().textContent()).toMatch(/^sum\.wat:1:\d+$/);
        expect(await banner.textContent()).toContain('not served');
        expect(await watched.page.getByLabel('Server token').count()).toBe(0);
        expect(watched.problems).toEqual([]);
        await watched.page.close();
      });
    });
  },
);
