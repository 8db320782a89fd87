// Loads a tenant's profiles from an upload body in two passes over the text, in bounded slices:
// the first checks everything and keeps nothing, the second parses again and writes slice by
// slice. Loads of one tenant run one at a time; jobs read a tenant's profiles only between loads.
import type { ProfileCache } from './profile-cache.ts';
import { identityKey, primaryIdentity } from './profile-identity.ts';
import {
  isBlankBody,
  type ParsedUpload,
  type ProfileVisitor,
  parseProfileUpload,
  UploadSyntaxError,
} from './profile-upload-parser.ts';
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
  /** Body bytes parsed between yields. @default 200_000 */
  sliceBytes?: number | undefined;
}

export interface ProfileLoads {
  /** Parses, checks and stores one upload body (UTF-8); throws a 400 ServiceError when invalid. */
  load(scope: TenantScope, body: Uint8Array): Promise<ProfileLoadResult>;
  /** Resolves once no load of the tenant is being written. */
  settled(scope: TenantScope): Promise<void>;
  /** The tenant's profile count; while a load is written, the count from before it. */
  count(scope: TenantScope): number;
}

/** What the checking pass found: a valid upload, described without its profiles. */
interface CheckedUpload {
  replace: boolean;
  /** Profiles in the `profiles` array that counts (the last one when the key is repeated). */
  count: number;
  /** Number of that array among the body's `profiles` arrays. */
  array: number;
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

  async function parse(body: Uint8Array, onProfile: ProfileVisitor): Promise<ParsedUpload> {
    try {
      return await parseProfileUpload(body, { sliceBytes: options.sliceBytes, onProfile });
    } catch (error) {
      if (!(error instanceof UploadSyntaxError)) throw error;
      throw new ServiceError(400, `expected a JSON body, but it does not parse: ${error.message}`);
    }
  }

  /**
   * First pass: syntax, then the envelope, then the first invalid profile, in that order of
   * precedence. No profile outlives its check, so the heap holds the body and little else
   * (a million live profile objects made every garbage collection a long stall).
   */
  async function check(body: Uint8Array): Promise<CheckedUpload> {
    if (isBlankBody(body))
      throw new ServiceError(400, 'expected a JSON body, but the body is empty');
    let invalid: { array: number; error: ServiceError } | undefined;
    let checked = 0;
    const parsed = await parse(body, (profile, index, array) => {
      // A repeated `profiles` key replaces the earlier array, as in JSON.parse.
      if (invalid !== undefined && invalid.array === array) return undefined;
      try {
        toRow(profile, index);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        invalid = { array, error };
      }
      checked += 1;
      return checked % sliceProfiles === 0 ? yieldToEventLoop() : undefined;
    });
    const envelope = { ...parsed.members, profiles: parsed.profiles };
    const { replace } = parseBody(profileLoadEnvelopeSchema, envelope, 'profiles upload');
    const array = parsed.profileArrays - 1;
    if (invalid !== undefined && invalid.array === array) throw invalid.error;
    return { replace, count: parsed.profileCount, array };
  }

  /**
   * A write slice, then the write-ahead log copied back, each in its own event-loop turn (apart
   * from the turn that parsed the slice).
   */
  async function commit(
    scope: TenantScope,
    rows: readonly StoredProfileInput[],
  ): Promise<{ created: number }> {
    await yieldToEventLoop();
    const slice = store.writeProfileSlice(scope, rows);
    await yieldToEventLoop();
    store.checkpoint();
    await yieldToEventLoop();
    return slice;
  }

  /** Second pass: the body parsed again, each slice of profiles written as soon as it is full. */
  async function write(
    scope: TenantScope,
    body: Uint8Array,
    upload: CheckedUpload,
  ): Promise<ProfileWriteResult> {
    let deleted = 0;
    if (upload.replace) {
      for (;;) {
        const gone = store.deleteProfileSlice(scope, sliceProfiles);
        deleted += gone;
        if (gone < sliceProfiles) break;
        await yieldToEventLoop();
        store.checkpoint();
        await yieldToEventLoop();
      }
    }
    let created = 0;
    let rows: StoredProfileInput[] = [];
    const flush = async () => {
      const full = rows;
      rows = [];
      created += (await commit(scope, full)).created;
    };
    await parse(body, (profile, index, array) => {
      if (array !== upload.array) return undefined;
      rows.push(toRow(profile, index));
      return rows.length >= sliceProfiles ? flush() : undefined;
    });
    if (rows.length > 0) await flush();
    return {
      created,
      updated: upload.count - created,
      deleted,
      totalProfiles: store.countProfiles(scope),
    };
  }

  async function load(scope: TenantScope, body: Uint8Array): Promise<ProfileLoadResult> {
    // Everything is checked before the first write: an invalid upload changes nothing.
    const upload = await check(body);
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
      const result = await write(scope, body, upload);
      return { received: upload.count, ...result };
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
