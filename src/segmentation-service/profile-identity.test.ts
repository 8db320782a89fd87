import { describe, expect, it } from 'vitest';
import { identityNamespaces, primaryIdentity } from './profile-identity.ts';

describe('primaryIdentity', () => {
  it.each([
    [
      'the flagged identity',
      { ECID: [{ id: 'e1' }], Email: [{ id: 'm1', primary: true }] },
      { namespace: 'Email', id: 'm1' },
    ],
    [
      'the first identity of the first namespace',
      { ECID: [{ id: 'e1' }, { id: 'e2' }], Email: [{ id: 'm1' }] },
      { namespace: 'ECID', id: 'e1' },
    ],
    [
      'the first namespace that holds one',
      { ECID: [], Email: [{ id: 'm1' }] },
      { namespace: 'Email', id: 'm1' },
    ],
    ['nothing for an empty map', {}, undefined],
  ])('is %s', (_, identityMap, expected) => {
    expect(primaryIdentity(identityMap)).toEqual(expected);
  });
});

describe('identityNamespaces', () => {
  it('lists the namespaces that hold identities', () => {
    expect(identityNamespaces({ ECID: [{ id: 'e' }], Phone: [], Email: [{ id: 'm' }] })).toEqual([
      'ECID',
      'Email',
    ]);
  });
});
