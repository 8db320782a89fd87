// graphql-ws against the gateway: watch a job until it is final, the subscription sent by its
// persisted hash (graphql-ws requires a query string: send '' with extensions.persistedQuery).
// Run: npx tsx examples/graphql-ws.ts [graphql url]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  persistedExtensions,
  WatchJobsDocument,
  type WatchJobsSubscription,
} from '../client/index.ts';
import { createJob } from './create-job.ts';

export interface GraphqlWsExampleOptions {
  /** @default 'http://127.0.0.1:4000/graphql' (the WebSocket URL is the same, ws:) */
  url?: string;
  /** Credentials (`x-gateway-key`, or Adobe's four), sent as connectionParams. @default none */
  headers?: Record<string, string>;
}

type JobEvent = WatchJobsSubscription['segmentJobStatusChanged'];

/** Starts a job and returns every status event of it, up to the final one. */
export async function runGraphqlWsExample(options: GraphqlWsExampleOptions = {}) {
  const url = options.url ?? 'http://127.0.0.1:4000/graphql';
  const jobId = await createJob(url, options.headers);
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    // Node 20 has no global WebSocket; a browser needs no webSocketImpl.
    webSocketImpl: WebSocket,
    connectionParams: options.headers ?? {},
    retryAttempts: 0,
  });
  const events: JobEvent[] = [];
  try {
    const subscription = client.iterate<WatchJobsSubscription>({
      query: '',
      extensions: persistedExtensions(WatchJobsDocument),
      variables: { ids: [jobId] },
    });
    for await (const result of subscription) {
      if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
      if (result.data) events.push(result.data.segmentJobStatusChanged);
    }
  } finally {
    await client.dispose();
  }
  return { jobId, events };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runGraphqlWsExample({ url: process.argv[2] }), null, 2));
}
