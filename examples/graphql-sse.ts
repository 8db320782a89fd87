// graphql-sse against the gateway, in its distinct connections mode (the default: one POST with
// accept: text/event-stream per operation). Its single connection mode is refused (405, see
// docs/limits.md). Run: npx tsx examples/graphql-sse.ts [graphql url]
import { print } from 'graphql';
import { createClient } from 'graphql-sse';
import { WatchJobsDocument, type WatchJobsSubscription } from '../client/index.ts';
import { createJob } from './create-job.ts';

export interface GraphqlSseExampleOptions {
  /** @default 'http://127.0.0.1:4000/graphql' */
  url?: string;
  /** Credentials: `x-gateway-key`, or Adobe's four headers in passthrough mode. @default none */
  headers?: Record<string, string>;
}

type JobEvent = WatchJobsSubscription['segmentJobStatusChanged'];

/** Starts a job and returns every status event of it, up to the final one. */
export async function runGraphqlSseExample(options: GraphqlSseExampleOptions = {}) {
  const url = options.url ?? 'http://127.0.0.1:4000/graphql';
  const jobId = await createJob(url, options.headers);
  const client = createClient({
    url,
    singleConnection: false,
    headers: options.headers ?? {},
    retryAttempts: 0,
  });
  const events: JobEvent[] = [];
  try {
    const subscription = client.iterate<WatchJobsSubscription>({
      query: print(WatchJobsDocument),
      variables: { ids: [jobId] },
    });
    for await (const result of subscription) {
      if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
      if (result.data) events.push(result.data.segmentJobStatusChanged);
    }
  } finally {
    client.dispose();
  }
  return { jobId, events };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runGraphqlSseExample({ url: process.argv[2] }), null, 2));
}
