// `/emulator/profiles`: our own endpoint (outside Adobe's base path) that loads the profile
// documents a tenant's jobs evaluate. Profiles are validated whole before any is written; the
// parsing and writing in slices live in profile-loads.ts.
import type { ProfileLoads } from './profile-loads.ts';
import type { Route, ServiceRequest, ServiceResponse } from './router.ts';

/** Path of the profile loading endpoint. */
export const PROFILES_PATH = '/emulator/profiles';

/** Largest `POST /emulator/profiles` body by default: 50 MiB. */
export const DEFAULT_MAX_PROFILES_BODY_BYTES = 50 * 1024 * 1024;

export interface ProfileRoutesOptions {
  loads: ProfileLoads;
  /** Largest accepted upload. @default 50 MiB */
  maxBodyBytes?: number | undefined;
}

export function profileRoutes(options: ProfileRoutesOptions): Route[] {
  const { loads } = options;

  async function load(request: ServiceRequest): Promise<ServiceResponse> {
    const result = await loads.load(request.scope, request.body as Buffer);
    return { status: 200, body: result };
  }

  function count(request: ServiceRequest): ServiceResponse {
    return { status: 200, body: { totalProfiles: loads.count(request.scope) } };
  }

  return [
    {
      method: 'POST',
      path: PROFILES_PATH,
      hasBody: true,
      bodyFormat: 'bytes',
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_PROFILES_BODY_BYTES,
      handler: load,
    },
    { method: 'GET', path: PROFILES_PATH, handler: count },
  ];
}
