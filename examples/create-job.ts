// A shared step of the subscription examples: start a job over plain fetch, by persisted hash.
// Run the examples against a gateway; this file has nothing to run on its own.
import { CreateJobDocument, type CreateJobMutation, persistedExtensions } from '../client/index.ts';

/** Creates a job evaluating every segment definition; returns its id. */
export async function createJob(
  url: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      extensions: persistedExtensions(CreateJobDocument),
      variables: { input: { allSegments: true } },
    }),
  });
  const body = (await response.json()) as { data?: CreateJobMutation; errors?: unknown };
  const result = body.data?.createSegmentJob;
  if (result?.__typename !== 'CreateSegmentJobSuccess') {
    throw new Error(`expected a created job, but got ${JSON.stringify(body)}`);
  }
  return result.job.id;
}
