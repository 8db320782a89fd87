// `/emulator/test/*`: routes that misbehave on purpose, registered only with EMULATOR_TEST_HOOKS,
// so process-level tests can prove what holding or crashing the service does to its neighbours.
// Never part of the API a client relies on.
import type { Route, ServiceRequest, ServiceResponse } from './router.ts';
import { badRequest } from './service-errors.ts';

/** Path of the route that holds the event loop for `?ms=`. */
export const TEST_BLOCK_PATH = '/emulator/test/block';
/** Path of the route that throws an uncaught error right after answering. */
export const TEST_CRASH_PATH = '/emulator/test/crash';

const MAX_BLOCK_MS = 30_000;

function block(request: ServiceRequest): ServiceResponse {
  const raw = request.query.get('ms') ?? '';
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_BLOCK_MS) {
    throw badRequest(`expected ms to be an integer from 0 to ${MAX_BLOCK_MS}, but got "${raw}"`);
  }
  // Deliberately synchronous: nothing else on this event loop runs until it ends.
  const until = performance.now() + ms;
  let spins = 0;
  while (performance.now() < until) spins += 1;
  return { status: 200, body: { blockedMs: ms, spins } };
}

function crash(): ServiceResponse {
  setImmediate(() => {
    throw new Error(`crash requested through ${TEST_CRASH_PATH}`);
  });
  return { status: 202, body: { crashing: true } };
}

export function testHookRoutes(): Route[] {
  return [
    { method: 'POST', path: TEST_BLOCK_PATH, handler: block },
    { method: 'POST', path: TEST_CRASH_PATH, handler: crash },
  ];
}
