// GraphiQL in a real headless Chromium against the real gateway and embedded service: the default
// query shows the demo jobs, and a segmentJobStatusChanged subscription updates the result pane
// live until SUCCEEDED. Every request leaving localhost is blocked and recorded: none may occur.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentJobsDocument } from '../generated/graphql.ts';
import { type GatewayHarness, startGatewayHarness } from '../support/gateway-harness.ts';
import { CHROMIUM, hasChromium, launchChromium, localOnlyPage } from '../support/local-browser.ts';
import { isFinalStatus } from '../support/subscription-chain.ts';
import { createJobThroughGateway, demoDefinitionId } from '../support/subscription-jobs.ts';

const SCREENSHOT = fileURLToPath(new URL('../../.tmp/graphiql-subscription.png', import.meta.url));
const WAIT_MS = 15_000;

/** The result pane's text with the editor's non-breaking spaces made plain. */
async function resultText(page: Page): Promise<string> {
  return ((await page.textContent('.result-window')) ?? '').replace(/\u00a0/g, ' ');
}

async function waitForResult(page: Page, needle: string): Promise<string> {
  await page.waitForFunction(
    (text) =>
      document
        .querySelector('.result-window')
        ?.textContent?.replace(/\u00a0/g, ' ')
        .includes(text),
    needle,
    { timeout: WAIT_MS },
  );
  return resultText(page);
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'GraphiQL in a real browser'
    : `GraphiQL in a real browser (skipped: no Chromium at ${CHROMIUM})`,
  () => {
    let harness: GatewayHarness;
    let browser: Browser;
    /** Requests the page tried to send off localhost (all blocked). */
    const offsite: string[] = [];

    beforeAll(async () => {
      [harness, browser] = await Promise.all([
        // Half-second steps: the job runs for a couple of seconds, polled every 50 ms.
        startGatewayHarness({ env: { POLL_INTERVAL_MS: '50', EMULATOR_STEP_MS: '500' } }),
        launchChromium(),
      ]);
    });

    /**
     * A page in a context of its own: GraphiQL keeps its tabs in localStorage, and one test's
     * tabs must not decide what the next test's page opens on.
     */
    async function freshPage(): Promise<Page> {
      return localOnlyPage(browser, offsite);
    }

    afterAll(async () => {
      await browser?.close();
      await harness?.close();
    });

    it('loads the schema for docs and autocomplete (its introspection query succeeds)', async () => {
      const page = await freshPage();
      const introspection = page.waitForResponse(
        (response) =>
          response.url().startsWith(harness.graphqlUrl) &&
          (response.request().postData() ?? '').includes('__schema'),
        { timeout: WAIT_MS },
      );
      await page.goto(harness.graphqlUrl);
      const response = await introspection;
      const body = (await response.json()) as { data?: { __schema?: unknown }; errors?: unknown };
      expect(response.status()).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data?.__schema).toBeDefined();
      await page.context().close();
    });

    it('runs the default query and shows the demo jobs', async () => {
      const page = await freshPage();
      await page.goto(harness.graphqlUrl);
      // A click before the editor holds the query runs nothing: wait for it first.
      await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: WAIT_MS });
      await page.waitForFunction(
        () =>
          (document.querySelector('.graphiql-query-editor')?.textContent ?? '').includes(
            'segmentJobs',
          ),
        undefined,
        { timeout: WAIT_MS },
      );
      await page.click('.graphiql-execute-button', { timeout: WAIT_MS });

      const text = await waitForResult(page, '"totalCount"');
      const expected = await harness.execute(SegmentJobsDocument, { first: 10 });
      const jobs = expected.data?.segmentJobs;
      expect(jobs?.totalCount).toBeGreaterThan(0);
      expect(text).toContain(`"totalCount": ${jobs?.totalCount}`);
      // The editor renders only the lines in view: the newest job is near the top.
      expect(text).toContain(jobs?.edges[0]?.node.id ?? 'a demo job');
      expect(text).not.toContain('"errors"');
      await page.context().close();
    });

    it('updates the result pane live while a subscription follows a running job to SUCCEEDED', async () => {
      const page = await freshPage();
      const subscription = (id: string) =>
        `subscription Follow { segmentJobStatusChanged(ids: ["${id}"]) { jobId status previousStatus initial } }`;
      await page.goto(
        `${harness.graphqlUrl}?query=${encodeURIComponent(subscription('<job id>'))}`,
      );
      await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: WAIT_MS });
      // Every text the pane shows, in order, however briefly.
      await page.evaluate(() => {
        const seen: string[] = [];
        Object.assign(window, { seenResults: seen });
        new MutationObserver(() => {
          const text = document.querySelector('.result-window')?.textContent ?? '';
          if (text !== seen.at(-1)) seen.push(text);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });

      // The job starts only now, so the page's load time cannot make it finish unseen.
      const jobId = await createJobThroughGateway(harness, [await demoDefinitionId(harness)]);
      await page.click('.graphiql-query-editor .monaco-editor');
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(subscription(jobId));
      await page.click('.graphiql-execute-button');

      const final = await waitForResult(page, '"status": "SUCCEEDED"');
      expect(final).toContain(jobId);
      expect(final).toContain('"initial": false');
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      const seen = (await page.evaluate(() =>
        (Reflect.get(window, 'seenResults') as string[]).map((text) =>
          text.replace(/\u00a0/g, ' '),
        ),
      )) as string[];
      const statuses = seen
        .filter((text) => text.includes(jobId))
        .map((text) => /"status":\s*"(\w+)"/.exec(text)?.[1] ?? '')
        .filter((status, index, all) => status !== all[index - 1]);
      // At least the initial (running) state and the end: the pane changed while the job ran.
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(isFinalStatus(statuses[0] ?? 'SUCCEEDED')).toBe(false);
      expect(statuses.at(-1)).toBe('SUCCEEDED');
      await page.context().close();
    });

    it('sent nothing off localhost', () => {
      expect(offsite).toEqual([]);
    });
  },
);
