// `npm start` as an operator runs it (the built JavaScript, npm as the leader of its own process
// group): a SIGTERM to the whole group, to the node process alone, or several signals in a row
// each give one orderly stop — /readyz fails, a request held by a slow upstream gets its full
// answer, npm and node exit 0. With the embedded service, its thread stops and SQLite closes.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import { tempDataDir } from '../segmentation-service/helpers.ts';
import {
  type FakeUpstream,
  jobListBody,
  sampleJob,
  startFakeUpstream,
} from '../support/fake-upstream.ts';
import { tenantHeaders, waitForValue } from '../support/gateway-harness.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { buildIfStale } from '../support/process-harness.ts';

const EXIT_DEADLINE_MS = 15_000;
const TENANT = { orgId: 'STOP@AdobeOrg', sandboxName: 'prod' };
const HEADERS = tenantHeaders(TENANT.orgId, TENANT.sandboxName, 'stop-token');
const QUERY = '{ segmentJobs(first: 1) { totalCount edges { node { id } } } }';
const FULL_ANSWER = {
  data: { segmentJobs: { totalCount: 1, edges: [{ node: { id: 'slow-job' } }] } },
};

const children: GatewayProcess[] = [];
const upstreams: FakeUpstream[] = [];
const dirs: string[] = [];

// Once for the file: the first `npm start` would otherwise spend its start-up time compiling.
beforeAll(() => buildIfStale(), 60_000);
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.dispose()));
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fake upstream whose job list is held until `release()`. */
async function slowUpstream() {
  const upstream = await startFakeUpstream();
  upstreams.push(upstream);
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const isTenantList = (request: { path: string; headers: Record<string, unknown> }) =>
    request.path === '/segment/jobs' && request.headers.authorization !== undefined;
  upstream.respondWith(isTenantList, async () => {
    await released;
    return { status: 200, body: jobListBody([sampleJob({ id: 'slow-job' }, TENANT)]) };
  });
  // Any answer to the credential-less probe shows the upstream is there.
  upstream.respondWith(
    (request) => request.path === '/segment/jobs' && request.headers.authorization === undefined,
    () => ({ status: 401, body: { title: 'no credentials' } }),
  );
  const held = () => upstream.waitFor(() => upstream.requests.some(isTenantList));
  return { upstream, release, held };
}

async function npmStart(env: Record<string, string>): Promise<GatewayProcess> {
  const child = await startGatewayProcess({ via: 'npm', env });
  children.push(child);
  return child;
}

/** Sends the slow query; resolves with its status and body, or with what broke it. */
function slowQuery(gateway: GatewayProcess): Promise<{ status: number; body: unknown }> {
  return fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...HEADERS },
    body: JSON.stringify({ query: QUERY }),
  }).then(
    async (response) => ({ status: response.status, body: await response.json() }),
    (error: unknown) => ({
      status: 0,
      body: { error: String(error), cause: String((error as Error).cause) },
    }),
  );
}

function logCount(gateway: GatewayProcess, message: string): number {
  return gateway.logLines().filter((line) => line.msg === message).length;
}

async function readinessWhileDraining(gateway: GatewayProcess): Promise<Record<string, unknown>> {
  return waitForValue(
    async () => {
      const response = await fetch(`${gateway.origin}/readyz`);
      const body = (await response.json()) as Record<string, unknown>;
      return response.status === 503 ? body : undefined;
    },
    EXIT_DEADLINE_MS,
    '/readyz to answer 503',
  );
}

/** Waits for the gateway to log the start of its one orderly stop. */
async function shuttingDown(gateway: GatewayProcess): Promise<void> {
  await gateway.waitForLog((line) => (line.msg === 'shutting down' ? line : undefined), 5_000);
}

/** The request in flight got its whole answer, and npm (with node under it) exited 0. */
async function expectFullAnswerThenExitZero(
  gateway: GatewayProcess,
  answer: Promise<{ status: number; body: unknown }>,
): Promise<void> {
  expect(await answer).toEqual({ status: 200, body: FULL_ANSWER });
  expect(await gateway.waitForExit(EXIT_DEADLINE_MS), gateway.output()).toEqual({
    code: 0,
    signal: null,
  });
}

describe('npm start, stopped with a request in flight against a slow upstream', () => {
  it('a SIGTERM to the whole process group: /readyz 503, the request gets its full answer, exit 0', async () => {
    const { upstream, release, held } = await slowUpstream();
    const gateway = await npmStart({
      UPSTREAM_URL: upstream.baseUrl,
      AUTH_MODE: 'passthrough',
      SHUTDOWN_DELAY_MS: '2000',
    });
    expect(gateway.nodePid).not.toBe(gateway.pid);
    const answer = slowQuery(gateway);
    await held();

    gateway.signalGroup('SIGTERM');
    await shuttingDown(gateway);
    expect(await readinessWhileDraining(gateway)).toMatchObject({ code: 'SHUTTING_DOWN' });
    release();

    await expectFullAnswerThenExitZero(gateway, answer);
    expect(logCount(gateway, 'shutting down')).toBe(1);
    expect(logCount(gateway, 'stopped')).toBe(1);
  });

  it('a SIGTERM to the node process alone: the request gets its full answer, npm and node exit 0', async () => {
    const { upstream, release, held } = await slowUpstream();
    const gateway = await npmStart({ UPSTREAM_URL: upstream.baseUrl, AUTH_MODE: 'passthrough' });
    const answer = slowQuery(gateway);
    await held();

    process.kill(gateway.nodePid, 'SIGTERM');
    await shuttingDown(gateway);
    release();

    await expectFullAnswerThenExitZero(gateway, answer);
    expect(logCount(gateway, 'stopped')).toBe(1);
  });

  it('signals in a row (group SIGTERM, group SIGINT, node SIGTERM) still give one orderly stop', async () => {
    const { upstream, release, held } = await slowUpstream();
    const gateway = await npmStart({
      UPSTREAM_URL: upstream.baseUrl,
      AUTH_MODE: 'passthrough',
      SHUTDOWN_DELAY_MS: '2000',
    });
    const answer = slowQuery(gateway);
    await held();

    gateway.signalGroup('SIGTERM');
    await shuttingDown(gateway);
    const ignoredBefore = logCount(gateway, 'already shutting down; the drain continues');
    gateway.signalGroup('SIGINT');
    process.kill(gateway.nodePid, 'SIGTERM');
    // Each of these reached node at least once and was taken as part of the same stop.
    await waitForValue(
      async () =>
        logCount(gateway, 'already shutting down; the drain continues') >= ignoredBefore + 2
          ? true
          : undefined,
      EXIT_DEADLINE_MS,
      'the repeated signals to be logged',
    );
    expect(await readinessWhileDraining(gateway)).toMatchObject({ code: 'SHUTTING_DOWN' });
    release();

    await expectFullAnswerThenExitZero(gateway, answer);
    expect(logCount(gateway, 'shutting down')).toBe(1);
    expect(gateway.output()).not.toMatch(/shutdown took too long|shutdown failed/);
  });
});

describe('npm start with the embedded service', () => {
  it('a SIGTERM to the process group stops the gateway, then the service thread, and closes SQLite', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const gateway = await npmStart({ DATA_DIR: dataDir });
    const answer = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ segmentJobs(first: 1) { totalCount } }' }),
    });
    expect(answer.status).toBe(200);

    gateway.signalGroup('SIGTERM');
    expect(await gateway.waitForExit(EXIT_DEADLINE_MS), gateway.output()).toEqual({
      code: 0,
      signal: null,
    });
    expect(gateway.output()).toContain('Segmentation Service stopped');
    // A clean close checkpoints the write-ahead log and removes it.
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
    expect(existsSync(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(false);
  });
});
