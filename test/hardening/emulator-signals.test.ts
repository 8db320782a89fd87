// `npm run emulator` as an operator runs it (the built JavaScript, npm leading its own process
// group): a SIGTERM to the group, or several signals to the node process, give one orderly stop —
// a request whose body is still arriving gets its full answer, SQLite closes, npm exits 0.
import { existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/segmentation-service/store.ts';
import { tempDataDir } from '../segmentation-service/helpers.ts';
import { DEMO_HEADERS, waitForValue } from '../support/gateway-harness.ts';
import {
  buildIfStale,
  type EmulatorProcess,
  startEmulatorProcess,
} from '../support/process-harness.ts';

const EXIT_DEADLINE_MS = 15_000;
const children: EmulatorProcess[] = [];
const dirs: string[] = [];

beforeAll(() => buildIfStale(), 60_000);
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.dispose()));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function npmRunEmulator(): Promise<{ emulator: EmulatorProcess; dataDir: string }> {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const emulator = await startEmulatorProcess({ dataDir, via: 'npm' });
  children.push(emulator);
  return { emulator, dataDir };
}

interface SlowRequest {
  /** Resolves once the server has read the request's head (it answered `100 Continue`). */
  readonly received: Promise<void>;
  /** Sends the body. */
  finish(): void;
  readonly answer: Promise<{ status: number; body: unknown }>;
}

/** A bulk-get that waits for `100 Continue` and sends its body at finish(): in flight till then. */
function slowBulkGet(baseUrl: string, id: string): SlowRequest {
  const body = Buffer.from(JSON.stringify({ ids: [{ id }] }));
  const outgoing = request(`${baseUrl}/segment/jobs/bulk-get`, {
    method: 'POST',
    headers: {
      ...DEMO_HEADERS,
      'content-type': 'application/json',
      'content-length': String(body.length),
      expect: '100-continue',
    },
  });
  const received = new Promise<void>((resolve) => outgoing.once('continue', () => resolve()));
  const answer = new Promise<{ status: number; body: unknown }>((resolve) => {
    outgoing.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
      );
      response.on('error', (error) => resolve({ status: 0, body: String(error) }));
    });
    outgoing.on('error', (error) => resolve({ status: 0, body: String(error) }));
  });
  outgoing.flushHeaders();
  return { received, finish: () => outgoing.end(body), answer };
}

function logCount(child: EmulatorProcess, message: string): number {
  return child.logLines().filter((line) => line.msg === message).length;
}

async function expectCleanStop(emulator: EmulatorProcess, dataDir: string): Promise<void> {
  expect(await emulator.waitForExit(EXIT_DEADLINE_MS), emulator.output()).toEqual({
    code: 0,
    signal: null,
  });
  expect(logCount(emulator, 'shutting down')).toBe(1);
  expect(logCount(emulator, 'Segmentation Service stopped')).toBe(1);
  // A clean close checkpoints the write-ahead log and removes it.
  expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
  expect(existsSync(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(false);
}

/** The whole answer to a bulk-get of an unknown id: 404 naming it. */
const UNKNOWN_ANSWER = { status: 404, body: expect.objectContaining({}) };

describe('npm run emulator, stopped with a request in flight', () => {
  it('a SIGTERM to the whole process group: the request gets its full answer, exit 0, SQLite closed', async () => {
    const { emulator, dataDir } = await npmRunEmulator();
    expect(emulator.nodePid).not.toBe(emulator.pid);
    const slow = slowBulkGet(emulator.baseUrl, 'job-in-flight');
    await slow.received;

    emulator.signalGroup('SIGTERM');
    await emulator.waitForLog((line) => (line.msg === 'shutting down' ? line : undefined), 5_000);
    slow.finish();

    const answer = await slow.answer;
    expect(answer).toMatchObject(UNKNOWN_ANSWER);
    expect(JSON.stringify(answer.body)).toContain('job-in-flight');
    await expectCleanStop(emulator, dataDir);
  });

  it('signals in a row (group SIGTERM, node SIGINT, node SIGTERM) still give one orderly stop', async () => {
    const { emulator, dataDir } = await npmRunEmulator();
    const slow = slowBulkGet(emulator.baseUrl, 'job-in-flight');
    await slow.received;

    emulator.signalGroup('SIGTERM');
    await emulator.waitForLog((line) => (line.msg === 'shutting down' ? line : undefined), 5_000);
    const ignoredBefore = logCount(emulator, 'already shutting down; the drain continues');
    process.kill(emulator.nodePid, 'SIGINT');
    process.kill(emulator.nodePid, 'SIGTERM');
    await waitForValue(
      async () =>
        logCount(emulator, 'already shutting down; the drain continues') >= ignoredBefore + 1
          ? true
          : undefined,
      EXIT_DEADLINE_MS,
      'the repeated signals to be logged',
    );
    slow.finish();

    const answer = await slow.answer;
    expect(answer).toMatchObject(UNKNOWN_ANSWER);
    expect(JSON.stringify(answer.body)).toContain('job-in-flight');
    await expectCleanStop(emulator, dataDir);
  });
});
