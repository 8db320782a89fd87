// What an operator sees when `npm start` or `npm run emulator` cannot start: a busy port or an
// upstream that does not answer prints one plain sentence naming the variable to change (no
// stack trace), and the process exits with a non-zero code.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../segmentation-service/helpers.ts';
import { buildIfStale, type RunningChild, spawnChild } from '../support/process-harness.ts';

const EXIT_DEADLINE_MS = 15_000;
const children: RunningChild[] = [];
const servers: Server[] = [];
const dataDir = tempDataDir();

beforeAll(() => buildIfStale(), 60_000);
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.dispose()));
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** A port some other process already listens on. */
async function busyPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const port = await busyPort();
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
  return port;
}

async function runToExit(script: string, env: Record<string, string>) {
  const child = spawnChild({
    script,
    env: { HOST: '127.0.0.1', DATA_DIR: dataDir, EMULATOR_DEMO_PROFILES: '10', ...env },
  });
  children.push(child);
  const exit = await child.waitForExit(EXIT_DEADLINE_MS);
  return { exit, output: child.output() };
}

function expectOneSentence(output: string, sentence: string): void {
  expect(output).toContain(`${sentence}\n`);
  expect(output.split(sentence).length - 1).toBe(1);
  // No raw error: no stack frame, no "Error: listen EADDRINUSE".
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/Error: (listen|connect)/);
}

describe('start-up problems name the variable to change', () => {
  it('npm start on a busy PORT', async () => {
    const port = await busyPort();
    const { exit, output } = await runToExit('npm:start', {
      PORT: String(port),
      EMULATOR_PORT: '0',
    });
    expect(exit.code).not.toBe(0);
    expectOneSentence(output, `Port ${port} is already in use: set PORT to a free port.`);
  });

  it('npm start on a busy EMULATOR_PORT', async () => {
    const port = await busyPort();
    const { exit, output } = await runToExit('npm:start', {
      PORT: '0',
      EMULATOR_PORT: String(port),
    });
    expect(exit.code).not.toBe(0);
    expectOneSentence(output, `Port ${port} is already in use: set EMULATOR_PORT to a free port.`);
  });

  it('npm run emulator on a busy EMULATOR_PORT', async () => {
    const port = await busyPort();
    const { exit, output } = await runToExit('npm:emulator', { EMULATOR_PORT: String(port) });
    expect(exit.code).not.toBe(0);
    expectOneSentence(output, `Port ${port} is already in use: set EMULATOR_PORT to a free port.`);
  });

  it('npm start with an UPSTREAM_URL nothing answers at', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/data/core/ups`;
    const { exit, output } = await runToExit('npm:start', {
      PORT: '0',
      UPSTREAM_URL: url,
      AUTH_MODE: 'passthrough',
    });
    expect(exit.code).not.toBe(0);
    expectOneSentence(
      output,
      `The upstream at ${url} does not answer (ECONNREFUSED): check UPSTREAM_URL.`,
    );
  });
});
