// The job board in a real headless Chromium against the real gateway and embedded service: it
// lists the demo jobs with segment names, a click runs a segment, and the new row's status
// changes live (a @live query over graphql-ws) until SUCCEEDED. Every request leaving localhost
// is blocked and recorded: none may occur. Screenshots go to a temp folder.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { CHROMIUM, hasChromium, launchChromium, localOnlyPage } from '../support/local-browser.ts';

const WAIT_MS = 15_000;

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'the job board in a real browser'
    : `the job board in a real browser (skipped: no Chromium at ${CHROMIUM})`,
  () => {
    let harness: GatewayHarness;
    let browser: Browser;
    const offsite: string[] = [];
    const screenshots = mkdtempSync(join(tmpdir(), 'board-screenshots-'));

    beforeAll(async () => {
      [harness, browser] = await Promise.all([
        startGatewayHarness({ env: { POLL_INTERVAL_MS: '50', EMULATOR_STEP_MS: '400' } }),
        launchChromium(),
      ]);
    });

    afterAll(async () => {
      await browser?.close();
      await harness?.close();
    });

    const boardPage = (): Promise<Page> => localOnlyPage(browser, offsite);

    it('runs a segment and shows its row reaching SUCCEEDED live', async () => {
      const page = await boardPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${harness.origin}/board`);
      // The demo jobs, with their segments' names.
      await page.waitForSelector('#jobs tbody tr[data-job-id]', { timeout: WAIT_MS });
      await page.waitForSelector('#run:not([disabled])', { timeout: WAIT_MS });
      await page.screenshot({ path: join(screenshots, 'board-loaded.png') });
      const demoRows = await page.$$eval('#jobs tbody tr', (rows) => rows.length);
      expect(demoRows).toBeGreaterThan(0);

      await page.click('#run');
      await page.waitForFunction(() => document.body.dataset.lastJobId !== undefined, undefined, {
        timeout: WAIT_MS,
      });
      const jobId = await page.evaluate(() => document.body.dataset.lastJobId ?? '');
      // The new row arrives through the live query (the feed saw the job created) ...
      const row = `#jobs tbody tr[data-job-id="${jobId}"]`;
      await page.waitForSelector(row, { timeout: WAIT_MS });
      const firstStatus = await page.$eval(row, (tr) => (tr as HTMLElement).dataset.status);
      await page.screenshot({ path: join(screenshots, 'board-running.png') });
      // ... and changes status live until SUCCEEDED, with no reload.
      await page.waitForSelector(`${row}[data-status="SUCCEEDED"]`, { timeout: WAIT_MS });
      await page.screenshot({ path: join(screenshots, 'board-succeeded.png') });
      expect(firstStatus).not.toBe('SUCCEEDED');
      const segmentNames = await page.$eval(row, (tr) => tr.children[2]?.textContent ?? '');
      expect(segmentNames.length).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(existsSync(join(screenshots, 'board-succeeded.png'))).toBe(true);
      await page.context().close();
    });

    it('fetched nothing off localhost', () => {
      expect(offsite).toEqual([]);
    });
  },
);
