// `/emulator/profiles`: our own endpoint (outside Adobe's base path) that loads the profile
// documents a tenant's jobs evaluate. Profiles are validated whole before any is written.
import type { ProfileCache } from './profile-cache.ts';
import { identityKey, primaryIdentity } from './profile-identity.ts';
import { loadProfilesSchema, parseBody } from './request-schemas.ts';
import type { Route, ServiceRequest, ServiceResponse } from './router.ts';
import { badRequest } from './service-errors.ts';
import type { SegmentationStore, StoredProfileInput } from './store.ts';

/** Path of the profile loading endpoint. */
export const PROFILES_PATH = '/emulator/profiles';

export interface ProfileRoutesOptions {
  store: SegmentationStore;
  profiles: ProfileCache;
  /** Largest accepted upload. @default 50 MiB */
  maxBodyBytes?: number;
}

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

export function profileRoutes(options: ProfileRoutesOptions): Route[] {
  const { store } = options;

  function load(request: ServiceRequest): ServiceResponse {
    const body = parseBody(loadProfilesSchema, request.body, 'profiles upload');
    const rows: StoredProfileInput[] = body.profiles.map((profile, index) => {
      const identity = primaryIdentity(profile.identityMap);
      if (identity === undefined) {
        throw badRequest(
          `expected profiles[${index}].identityMap to hold an identity, but it is empty`,
        );
      }
      return { identity: identityKey(identity), doc: serialize(profile, index) };
    });
    const result = store.saveProfiles(request.scope, rows, body.replace);
    options.profiles.invalidate(request.scope);
    return { status: 200, body: { received: rows.length, ...result } };
  }

  function count(request: ServiceRequest): ServiceResponse {
    return { status: 200, body: { totalProfiles: store.countProfiles(request.scope) } };
  }

  return [
    {
      method: 'POST',
      path: PROFILES_PATH,
      hasBody: true,
      maxBodyBytes: options.maxBodyBytes ?? 50 * 1024 * 1024,
      handler: load,
    },
    { method: 'GET', path: PROFILES_PATH, handler: count },
  ];
}
