// `npm start` as a real process: the embedded Segmentation Service runs on its own worker thread.
// The gateway answers through it; its /healthz keeps answering while the service's event loop is
// held on purpose; SIGTERM closes both and SQLite cleanly; a crashed service thread ends the
// process with a non-zero code. Counts and exit codes only, never the clock.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { print } from 'graphql';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import {
  TEST_BLOCK_PATH,
  TEST_CRASH_PATH,
} from '../../src/segmentation-service/test-hook-routes.ts';
import { CreateSegmentJobDocument, SegmentJobStatusDocument } from '../generated/graphql.ts';
import { tempDataDir } from '../segmentation-service/helpers.ts';
import { DEMO_HEADERS } from '../support/gateway-harness.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';

const SIGNAL_TIMEOUT_MS = 15_000;
const BLOCK_MS = 2_000;
const children: GatewayProcess[] = [];
const dataDir = tempDataDir();

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.dispose()));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = await startGatewayProcess({
    env: { DATA_DIR: dataDir, EMULATOR_TEST_HOOKS: 'true', ...env },
  });
  children.push(child);
  return child;
}

function serviceOrigin(gateway: GatewayProcess): string {
  if (gateway.embeddedServiceUrl === undefined) {
    throw new Error(`expected an embedded service URL in the start-up log: ${gateway.output()}`);
  }
  return new URL(gateway.embeddedServiceUrl).origin;
}

async function graphql(
  gateway: GatewayProcess,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('npm start with the embedded service on its own thread', { timeout: 40_000 }, () => {
  let jobId = '';

  it('answers GraphQL through the service, keeps /healthz answering while the service is held, exits 0 on SIGTERM with SQLite closed', async () => {
    const gateway = await start();
    const origin = serviceOrigin(gateway);

    // (a) Through the embedded service: a definition of the demo tenant, a job created by GraphQL.
    const definitions = await fetch(`${gateway.embeddedServiceUrl}/segment/definitions`, {
      headers: DEMO_HEADERS,
    });
    const segmentId = ((await definitions.json()) as { segments: { id: string }[] }).segments[0]
      ?.id;
    expect(segmentId).toBeDefined();
    const created = await graphql(gateway, print(CreateSegmentJobDocument), {
      input: { segmentIds: [segmentId] },
    });
    const job = (created.data as { createSegmentJob?: { job?: { id: string } } } | undefined)
      ?.createSegmentJob?.job;
    expect(job?.id, JSON.stringify(created)).toBeDefined();
    jobId = job?.id ?? '';

    // (b) The service's event loop held for BLOCK_MS: on one shared loop /healthz could not
    // answer until the hold ended; on separate threads it answers over and over meanwhile.
    let isHeld = true;
    let healthAnswers = 0;
    const held = fetch(`${origin}${TEST_BLOCK_PATH}?ms=${BLOCK_MS}`, {
      method: 'POST',
      headers: DEMO_HEADERS,
    }).then(async (response) => {
      isHeld = false;
      return { status: response.status, body: (await response.json()) as { blockedMs: number } };
    });
    while (isHeld) {
      const response = await fetch(`${gateway.origin}/healthz`);
      await response.arrayBuffer();
      if (response.status === 200 && isHeld) healthAnswers += 1;
    }
    expect(await held).toEqual({
      status: 200,
      body: expect.objectContaining({ blockedMs: BLOCK_MS }),
    });
    expect(healthAnswers).toBeGreaterThanOrEqual(20);

    // (c) SIGTERM: the gateway, then the service's thread; the database is closed cleanly.
    expect(await gateway.signal('SIGTERM', SIGNAL_TIMEOUT_MS), gateway.output()).toEqual({
      code: 0,
      signal: null,
    });
    expect(gateway.output()).toContain('Segmentation Service stopped');
    const file = join(dataDir, DATABASE_FILE);
    // A clean close checkpoints the write-ahead log and removes it.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT id FROM jobs WHERE id = ?').get(jobId)).toEqual({ id: jobId });
    } finally {
      db.close();
    }
  });

  it('finds the job again after a restart on the same DATA_DIR', async () => {
    expect(jobId).not.toBe('');
    const gateway = await start();
    const answer = await graphql(gateway, print(SegmentJobStatusDocument), { id: jobId });
    expect(answer).toMatchObject({ data: { segmentJob: { id: jobId } } });
    expect(await gateway.signal('SIGTERM', SIGNAL_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
  });

  it('ends the whole process with a non-zero code when the service thread crashes', async () => {
    const gateway = await start();
    const response = await fetch(`${serviceOrigin(gateway)}${TEST_CRASH_PATH}`, {
      method: 'POST',
      headers: DEMO_HEADERS,
    });
    expect(response.status).toBe(202);
    const exit = await gateway.exited;
    expect(exit.code, gateway.output()).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(gateway.output()).toContain('the embedded Segmentation Service crashed');
    expect(gateway.output()).toContain(`crash requested through ${TEST_CRASH_PATH}`);
  });
});
