// Which identity a profile document stands for, and the namespaces it carries. Pure: profiles
// arrive validated (an identityMap with at least one identity).

export interface IdentityEntry {
  id: string;
  primary?: boolean | undefined;
}

export interface ProfileIdentity {
  namespace: string;
  id: string;
}

type IdentityMap = Readonly<Record<string, readonly IdentityEntry[]>>;

/** The identity flagged `primary`, else the first identity of the first namespace holding one. */
export function primaryIdentity(identityMap: IdentityMap): ProfileIdentity | undefined {
  let first: ProfileIdentity | undefined;
  for (const [namespace, identities] of Object.entries(identityMap)) {
    for (const identity of identities) {
      if (identity.primary === true) return { namespace, id: identity.id };
      first ??= { namespace, id: identity.id };
    }
  }
  return first;
}

/**
 * One string per identity, used as the member of a segment's stored membership. The unit
 * separator cannot be confused with characters of namespace codes or ids.
 */
export function identityKey(identity: ProfileIdentity): string {
  return `${identity.namespace}\u001f${identity.id}`;
}

/** The namespaces holding at least one identity, in document order. */
export function identityNamespaces(identityMap: IdentityMap): string[] {
  return Object.entries(identityMap)
    .filter(([, identities]) => identities.length > 0)
    .map(([namespace]) => namespace);
}
