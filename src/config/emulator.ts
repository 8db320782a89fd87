// Configuration of the embedded Segmentation Service, read once from the environment.
import { boolVar, type Env, intVar, logLevelVar, optionalString, parseEnv } from './parse.ts';

export interface EmulatorConfig {
  /** @default 4010 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** Where the SQLite file lives. @default './data' */
  dataDir: string;
  /** Pause between lifecycle steps of a job. @default 1000 */
  stepMs: number;
  /** Jobs not yet final per tenant before creates answer 429. @default 100 */
  maxActiveJobs: number;
  /** Seed the demo tenant when it is empty. @default true */
  seedDemo: boolean;
  /** Demo profiles to generate. @default 10000 */
  demoProfiles: number;
  /**
   * Registers `POST /emulator/test/block` and `POST /emulator/test/crash`, which hold the
   * service's event loop or crash it on purpose: for process-level tests only. @default false
   */
  testHooks: boolean;
  logLevel: string;
}

export function loadEmulatorConfig(env: Env): EmulatorConfig {
  const parsed = parseEnv(
    {
      EMULATOR_PORT: intVar(4010, 0, 65_535),
      EMULATOR_HOST: optionalString(),
      DATA_DIR: optionalString(),
      EMULATOR_STEP_MS: intVar(1000, 0, 600_000),
      EMULATOR_MAX_ACTIVE_JOBS: intVar(100, 1, 100_000),
      EMULATOR_DEMO_PROFILES: intVar(10_000, 0, 2_000_000),
      EMULATOR_SEED_DEMO: optionalString(),
      EMULATOR_TEST_HOOKS: boolVar(false),
      LOG_LEVEL: logLevelVar,
    },
    env,
  );
  return {
    port: parsed.EMULATOR_PORT,
    host: parsed.EMULATOR_HOST ?? '127.0.0.1',
    dataDir: parsed.DATA_DIR ?? './data',
    stepMs: parsed.EMULATOR_STEP_MS,
    maxActiveJobs: parsed.EMULATOR_MAX_ACTIVE_JOBS,
    seedDemo: parsed.EMULATOR_SEED_DEMO !== 'false',
    demoProfiles: parsed.EMULATOR_DEMO_PROFILES,
    testHooks: parsed.EMULATOR_TEST_HOOKS,
    logLevel: parsed.LOG_LEVEL,
  };
}
