// The embedded Segmentation Service: wires store, profile cache, runner and HTTP routes into one
// object that starts and stops. Callers (the gateway's main, tests) only ever speak HTTP to it.
import type { EmulatorConfig } from '../config/index.ts';
import { definitionRoutes } from './definition-routes.ts';
import { DEMO_SCOPE, seedDemoTenant } from './demo-seed.ts';
import { createHttpServer, type HttpServer } from './http-server.ts';
import { jobRoutes } from './job-routes.ts';
import { createJobRunner, type EvaluationProgress, type JobRunner } from './job-runner.ts';
import { compilePql } from './pql/index.ts';
import { createProfileCache } from './profile-cache.ts';
import { createProfileLoads, type ProfileLoads } from './profile-loads.ts';
import { PROFILES_PATH, profileRoutes } from './profile-routes.ts';
import { API_BASE_PATH, createRouter } from './router.ts';
import { seedOnThread } from './seed-thread.ts';
import { type ServiceLogger, silentLogger } from './service-logger.ts';
import { createStore, type SegmentationStore } from './store.ts';
import { testHookRoutes } from './test-hook-routes.ts';

export type { EvaluationProgress } from './job-runner.ts';
export { PROFILES_PATH } from './profile-routes.ts';
export { API_BASE_PATH } from './router.ts';
export type { ServiceLogger } from './service-logger.ts';

export interface SegmentationServiceOptions extends Omit<EmulatorConfig, 'seedDemo' | 'testHooks'> {
  /** Register the `/emulator/test/*` routes (see test-hook-routes.ts). @default false */
  testHooks?: boolean | undefined;
  /** @default a silent logger */
  logger?: ServiceLogger | undefined;
  /** Seed the demo tenant when it is empty. @default true */
  seedDemo?: boolean | undefined;
  /**
   * Seed after listening, in the background (`npm start`): the service answers meanwhile, and
   * the demo's definitions and jobs appear as they are stored, oldest first. `StartedService`'s
   * `demoSeeded` settles when it is done. When false, `start()` resolves once seeded. @default false
   */
  seedAfterListening?: boolean | undefined;
  /**
   * With `seedAfterListening`: seed on a short-lived thread of its own (see seed-thread.ts), so
   * this thread keeps answering and the seed's garbage leaves with it. @default false
   */
  seedOnThread?: boolean | undefined;
  /** Profiles evaluated between yields to the event loop. @default 2000 */
  evaluationChunkProfiles?: number | undefined;
  /**
   * Work units between yields of an evaluation (one per predicate call, plus a character
   * comparison or bit-vector step of `like` each). @default 5_000_000
   */
  evaluationSliceWork?: number | undefined;
  /** Called after each evaluation slice of a job (for tests and diagnostics). */
  onEvaluationProgress?: ((progress: EvaluationProgress) => void) | undefined;
  /** Largest `POST /emulator/profiles` body. @default 50 MiB */
  maxProfilesBodyBytes?: number | undefined;
  /** Profiles of an upload validated, or written in one transaction, between yields. @default 2000 */
  profileLoadSliceProfiles?: number | undefined;
  /** Largest body of the other endpoints. @default 10 MiB */
  maxBodyBytes?: number | undefined;
}

export interface StartedService {
  /** Base URL of the REST API, ending in `/data/core/ups`. */
  baseUrl: string;
  /** URL of `POST /emulator/profiles`, the endpoint that loads profiles. */
  profilesUrl: string;
  port: number;
  /**
   * Settles once the demo seed is over: true when it seeded, false when it had nothing to do (or
   * was off, or failed, which is logged). Already settled unless `seedAfterListening`.
   */
  demoSeeded: Promise<boolean>;
}

export interface SegmentationService {
  /** Opens the database, seeds the demo tenant when asked, resumes unfinished jobs, listens. */
  start(port?: number, host?: string): Promise<StartedService>;
  /** Closes sockets, stops the runner, closes SQLite. Safe to call twice. */
  stop(): Promise<void>;
}

interface Running {
  store: SegmentationStore;
  runner: JobRunner;
  http: HttpServer;
  /** Ends a background seed between two runs; the stop waits for it before closing SQLite. */
  seedAbort: AbortController;
  demoSeeded: Promise<boolean>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function createSegmentationService(
  options: SegmentationServiceOptions,
): SegmentationService {
  const logger = options.logger ?? silentLogger;
  let running: Running | undefined;
  let stopping: Promise<void> | undefined;

  async function start(
    port: number = options.port,
    host: string = options.host,
  ): Promise<StartedService> {
    if (running !== undefined) throw new Error('expected a stopped service, but it is running');
    const store = createStore({ dataDir: options.dataDir });
    // The cache waits for loads being written, and loads drop the cache: bound late.
    let loads: ProfileLoads | undefined;
    const profiles = createProfileCache({
      store,
      writesSettled: (scope) => loads?.settled(scope) ?? Promise.resolve(),
    });
    loads = createProfileLoads({
      store,
      profiles,
      sliceProfiles: options.profileLoadSliceProfiles,
    });
    const runner = createJobRunner({
      store,
      profiles,
      compile: compilePql,
      stepMs: options.stepMs,
      logger,
      chunkProfiles: options.evaluationChunkProfiles,
      sliceWork: options.evaluationSliceWork,
      onEvaluationProgress: options.onEvaluationProgress,
    });
    const router = createRouter([
      ...jobRoutes({ store, runner, maxActiveJobs: options.maxActiveJobs }),
      ...definitionRoutes({ store, compile: compilePql }),
      ...profileRoutes({ loads, maxBodyBytes: options.maxProfilesBodyBytes }),
      ...(options.testHooks === true ? testHookRoutes() : []),
    ]);
    const http = createHttpServer({ router, logger, maxBodyBytes: options.maxBodyBytes });
    const seedAbort = new AbortController();
    const seedElsewhere = async (): Promise<boolean> => {
      const isSeeded = await seedOnThread({
        dataDir: options.dataDir,
        profileCount: options.demoProfiles,
        logLevel: options.logLevel,
        signal: seedAbort.signal,
      });
      // Written through another connection: profiles read meanwhile would be stale.
      profiles.invalidate(DEMO_SCOPE);
      return isSeeded;
    };
    const seed = (): Promise<boolean> =>
      (options.seedDemo ?? true)
        ? options.seedOnThread === true && options.seedAfterListening === true
          ? seedElsewhere()
          : seedDemoTenant({
              store,
              compile: compilePql,
              profileCount: options.demoProfiles,
              logger,
              signal: seedAbort.signal,
            })
        : Promise.resolve(false);
    try {
      const isBackground = options.seedAfterListening === true;
      const seededFirst = isBackground ? false : await seed();
      // Once, before a background seed stores anything: it never picks up a seeded job.
      runner.recover();
      const boundPort = await http.listen(port, host);
      // On a macrotask, so the caller learns where the service listens before the seed's CPU work.
      const demoSeeded = isBackground
        ? new Promise<void>((resolve) => setImmediate(resolve))
            .then(seed)
            .catch((error: unknown) => {
              logger.error({ err: error }, 'demo tenant seeding failed');
              return false;
            })
        : Promise.resolve(seededFirst);
      running = { store, runner, http, seedAbort, demoSeeded };
      stopping = undefined;
      const origin = `http://${urlHost(host)}:${boundPort}`;
      return {
        baseUrl: `${origin}${API_BASE_PATH}`,
        profilesUrl: `${origin}${PROFILES_PATH}`,
        port: boundPort,
        demoSeeded,
      };
    } catch (error) {
      await runner.stop();
      await http.close();
      store.close();
      throw error;
    }
  }

  async function shutdown(current: Running): Promise<void> {
    current.seedAbort.abort();
    await current.demoSeeded;
    await current.http.close();
    await current.runner.stop();
    current.store.close();
  }

  function stop(): Promise<void> {
    if (running === undefined) return stopping ?? Promise.resolve();
    const current = running;
    running = undefined;
    stopping = shutdown(current);
    return stopping;
  }

  return { start, stop };
}
