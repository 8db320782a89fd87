// Loads a tenant's profiles from an upload body in bounded slices (parse, validate and serialize,
// then write), yielding to the event loop between slices, so a million profiles never hold it.
// Loads of one tenant run one at a time; jobs read a tenant's profiles only between its loads.
import type { ProfileCache } from './profile-cache.ts';
import { identityKey, primaryIdentity } from './profile-identity.ts';
import { parseProfileUpload, UploadSyntaxError } from './profile-upload-parser.ts';
import { parseBody, profileLoadEnvelopeSchema, profileSchema } from './request-schemas.ts';
import { badRequest, ServiceError } from './service-errors.ts';
import type { ProfileWriteResult, SegmentationStore, StoredProfileInput } from './store.ts';
import { scopeKey, type TenantScope } from './tenant-scope.ts';

export interface ProfileLoadResult extends ProfileWriteResult {
  received: number;
}

export interface ProfileLoadsOptions {
  store: SegmentationStore;
  profiles: ProfileCache;
  /** Profiles validated, or written in one transaction, between yields. @default 2000 */
  sliceProfiles?: number | undefined;
  /** Body characters parsed between yields. @default 200_000 */
  sliceChars?: number | undefined;
}

export interface ProfileLoads {
  /** Parses, checks and stores one upload body; throws a 400 ServiceError when it is invalid. */
  load(scope: TenantScope, body: string): Promise<ProfileLoadResult>;
  /** Resolves once no load of the tenant is being written. */
  settled(scope: TenantScope): Promise<void>;
  /** The tenant's profile count; while a load is written, the count from before it. */
  count(scope: TenantScope): number;
}

interface PendingWrites {
  /** Settles when this load has written (or failed). */
  tail: Promise<void>;
  /** What a count answers meanwhile: the stored count before the load now writing. */
  countBefore: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** JSON text of a profile; a document nested deeper than the serializer's stack is refused. */
function serialize(profile: unknown, index: number): string {
  try {
    return JSON.stringify(profile);
  } catch (error) {
    if (error instanceof RangeError) {
      throw badRequest(
        `expected profiles[${index}] to be nested less deeply, but it is too deep to store`,
      );
    }
    throw error;
  }
}

function toRow(value: unknown, index: number): StoredProfileInput {
  const profile = parseBody(profileSchema, value, 'profiles upload', ['profiles', index]);
  const identity = primaryIdentity(profile.identityMap);
  if (identity === undefined) {
    throw badRequest(
      `expected profiles[${index}].identityMap to hold an identity, but it is empty`,
    );
  }
  return { identity: identityKey(identity), doc: serialize(profile, index) };
}

export function createProfileLoads(options: ProfileLoadsOptions): ProfileLoads {
  const { store } = options;
  const sliceProfiles = Math.max(1, options.sliceProfiles ?? 2_000);
  // Per tenant: the last load queued to write, and the count from before the one writing now.
  const writing = new Map<string, PendingWrites>();

  async function parse(body: string): Promise<{ profiles: unknown[]; replace: boolean }> {
    if (body.trim() === '')
      throw new ServiceError(400, 'expected a JSON body, but the body is empty');
    try {
      const parsed = await parseProfileUpload(body, { sliceChars: options.sliceChars });
      const envelope = { ...parsed.members, profiles: parsed.profiles };
      return parseBody(profileLoadEnvelopeSchema, envelope, 'profiles upload');
    } catch (error) {
      if (!(error instanceof UploadSyntaxError)) throw error;
      throw new ServiceError(400, `expected a JSON body, but it does not parse: ${error.message}`);
    }
  }

  async function prepare(profiles: readonly unknown[]): Promise<StoredProfileInput[]> {
    const rows: StoredProfileInput[] = [];
    for (let index = 0; index < profiles.length; index++) {
      rows.push(toRow(profiles[index], index));
      if ((index + 1) % sliceProfiles === 0) await yieldToEventLoop();
    }
    return rows;
  }

  async function write(
    scope: TenantScope,
    rows: readonly StoredProfileInput[],
    replace: boolean,
  ): Promise<ProfileWriteResult> {
    let deleted = 0;
    if (replace) {
      for (;;) {
        const gone = store.deleteProfileSlice(scope, sliceProfiles);
        deleted += gone;
        if (gone < sliceProfiles) break;
        await yieldToEventLoop();
      }
    }
    let created = 0;
    for (let start = 0; start < rows.length; start += sliceProfiles) {
      const slice = store.writeProfileSlice(scope, rows.slice(start, start + sliceProfiles));
      created += slice.created;
      if (start + sliceProfiles < rows.length) await yieldToEventLoop();
    }
    return {
      created,
      updated: rows.length - created,
      deleted,
      totalProfiles: store.countProfiles(scope),
    };
  }

  async function load(scope: TenantScope, body: string): Promise<ProfileLoadResult> {
    // Everything is checked before the first write: an invalid upload changes nothing.
    const { profiles, replace } = await parse(body);
    const rows = await prepare(profiles);
    const key = scopeKey(scope);
    const previous = writing.get(key);
    const state: PendingWrites = {
      tail: Promise.resolve(),
      countBefore: previous?.countBefore ?? store.countProfiles(scope),
    };
    let release: () => void = () => {};
    state.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    writing.set(key, state);
    try {
      await previous?.tail;
      const result = await write(scope, rows, replace);
      return { received: rows.length, ...result };
    } finally {
      options.profiles.invalidate(scope);
      const next = writing.get(key);
      if (next === state) writing.delete(key);
      else if (next !== undefined) next.countBefore = store.countProfiles(scope);
      release();
    }
  }

  async function settled(scope: TenantScope): Promise<void> {
    for (;;) {
      const current = writing.get(scopeKey(scope));
      if (current === undefined) return;
      await current.tail;
    }
  }

  function count(scope: TenantScope): number {
    return writing.get(scopeKey(scope))?.countBefore ?? store.countProfiles(scope);
  }

  return { load, settled, count };
}
