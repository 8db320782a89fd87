// The upstream client's public surface: the factory, its contract and its errors.
export { createUpstreamClient, type UpstreamClientOptions, type UpstreamLogger } from './client.ts';
export * from './errors.ts';
export type * from './types.ts';
