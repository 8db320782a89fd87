// urql against the gateway. urql sends queries as GET when they fit in a URL; a GET must carry a
// header a cross-site form cannot (the CSRF guard, docs/limits.md): that is the one line below.
// Run: npx tsx examples/urql.ts [graphql url]
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { JobListDocument, SegmentsDocument } from '../client/index.ts';

export interface UrqlExampleOptions {
  /** @default 'http://127.0.0.1:4000/graphql' */
  url?: string;
  /** Credentials: `x-gateway-key`, or Adobe's four headers in passthrough mode. @default none */
  headers?: Record<string, string>;
}

export function createUrqlClient(options: UrqlExampleOptions = {}): Client {
  return new Client({
    url: options.url ?? 'http://127.0.0.1:4000/graphql',
    exchanges: [cacheExchange, fetchExchange],
    // The one line: GET queries pass the CSRF guard with this header (or set preferGetMethod: false).
    fetchOptions: { headers: { 'x-graphql-yoga-csrf': '1', ...options.headers } },
  });
}

/** The first page of segment definitions and of jobs. */
export async function runUrqlExample(options: UrqlExampleOptions = {}) {
  const client = createUrqlClient(options);
  const segments = await client.query(SegmentsDocument, { first: 5 }).toPromise();
  const jobs = await client.query(JobListDocument, { first: 5 }).toPromise();
  if (segments.error !== undefined) throw segments.error;
  if (jobs.error !== undefined) throw jobs.error;
  return {
    segments: segments.data?.segments.edges.map((edge) => edge.node) ?? [],
    jobs: jobs.data?.segmentJobs.edges.map((edge) => edge.node) ?? [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runUrqlExample({ url: process.argv[2] }), null, 2));
}
