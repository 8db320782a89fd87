// Each tenant's profiles parsed in memory, loaded lazily from the store in chunks (so a large
// load never stalls the event loop) and dropped when the tenant uploads profiles. It never writes.
import type { SegmentationStore } from './store.ts';
import { scopeKey, type TenantScope } from './tenant-scope.ts';

/** A profile ready for evaluation: its identity key, its namespaces, and the parsed document. */
export interface CachedProfile {
  readonly identity: string;
  readonly namespaces: readonly string[];
  readonly doc: unknown;
}

export interface ProfileCache {
  /** The tenant's profiles; callers must not mutate the array or its documents. */
  get(scope: TenantScope): Promise<readonly CachedProfile[]>;
  /** Forget the tenant's profiles (after an upload); loads in flight are not kept. */
  invalidate(scope: TenantScope): void;
}

export interface ProfileCacheOptions {
  store: SegmentationStore;
  /** Rows read and parsed between yields to the event loop. @default 500 */
  chunkRows?: number;
  /** Tenants kept in memory, least recently used dropped first. @default 8 */
  maxTenants?: number;
  /** Resolves once no load of the tenant's profiles is being written; awaited before reading. */
  writesSettled?: ((scope: TenantScope) => Promise<void>) | undefined;
}

function namespacesOf(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const identityMap = (doc as { identityMap?: unknown }).identityMap;
  if (typeof identityMap !== 'object' || identityMap === null) return [];
  return Object.entries(identityMap)
    .filter(([, identities]) => Array.isArray(identities) && identities.length > 0)
    .map(([namespace]) => namespace);
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createProfileCache(options: ProfileCacheOptions): ProfileCache {
  const chunkRows = options.chunkRows ?? 500;
  const maxTenants = options.maxTenants ?? 8;
  // Insertion order doubles as recency order: a hit is re-inserted at the end.
  const entries = new Map<string, Promise<readonly CachedProfile[]>>();

  async function load(scope: TenantScope): Promise<readonly CachedProfile[]> {
    await options.writesSettled?.(scope);
    const profiles: CachedProfile[] = [];
    let afterRowId = 0;
    for (;;) {
      const rows = options.store.readProfiles(scope, afterRowId, chunkRows);
      for (const row of rows) {
        const doc: unknown = JSON.parse(row.doc);
        profiles.push({ identity: row.identity, namespaces: namespacesOf(doc), doc });
      }
      if (rows.length < chunkRows) return profiles;
      afterRowId = rows[rows.length - 1]?.rowId ?? afterRowId;
      await yieldToEventLoop();
    }
  }

  function get(scope: TenantScope): Promise<readonly CachedProfile[]> {
    const key = scopeKey(scope);
    const cached = entries.get(key);
    if (cached !== undefined) {
      entries.delete(key);
      entries.set(key, cached);
      return cached;
    }
    const loading = load(scope);
    entries.set(key, loading);
    // A failed load must not stay cached; an upload during a load already dropped the entry.
    loading.catch(() => {
      if (entries.get(key) === loading) entries.delete(key);
    });
    while (entries.size > maxTenants) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
    return loading;
  }

  function invalidate(scope: TenantScope): void {
    entries.delete(scopeKey(scope));
  }

  return { get, invalidate };
}
