// Debian's headless Chromium for browser tests (no browser download at install time), and pages
// that may reach only this machine: every request leaving localhost is blocked and recorded.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether browser tests can run here (`.ci/run` installs Chromium; elsewhere they skip). */
export const hasChromium = existsSync(CHROMIUM);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Schemes that never leave the page (GraphiQL starts its workers from blobs). */
const LOCAL_SCHEMES = new Set(['blob:', 'data:', 'about:']);

export function isLocal(url: string): boolean {
  const parsed = new URL(url);
  return LOCAL_SCHEMES.has(parsed.protocol) || LOCAL_HOSTS.has(parsed.hostname);
}

/** Launches headless Chromium with nothing of its own talking to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A page in a context of its own (so one test's saved state never decides what the next test's
 * page opens on) whose requests off localhost are blocked and pushed to `offsite`.
 */
export async function localOnlyPage(browser: Browser, offsite: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    offsite.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => {
    if (!isLocal(request.url()) && !offsite.includes(request.url())) offsite.push(request.url());
  });
  return context.newPage();
}
