// Apollo Client against the gateway: the generated possibleTypes in InMemoryCache (without them
// the cache drops `... on Error { code message }` of the mutation unions), and persisted queries
// sent by hash as cacheable GETs. Run: npx tsx examples/apollo.ts [graphql url]
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import {
  CreateJobDocument,
  JobListDocument,
  persistedHash,
  possibleTypes,
} from '../client/index.ts';

export interface ApolloExampleOptions {
  /** The gateway's GraphQL URL. @default 'http://127.0.0.1:4000/graphql' */
  url?: string;
  /** Credentials: `x-gateway-key`, or Adobe's four headers in passthrough mode. @default none */
  headers?: Record<string, string>;
  /** Give the cache the generated possibleTypes. Only a test turns this off. @default true */
  withPossibleTypes?: boolean;
}

export function createApolloClient(options: ApolloExampleOptions = {}): ApolloClient {
  const http = new HttpLink({
    uri: options.url ?? 'http://127.0.0.1:4000/graphql',
    headers: options.headers ?? {},
  });
  // Queries go by hash (GET, cacheable: see docs/limits.md); the hash is codegen's, not hashed
  // again here. Mutations go by hash too, as POSTs.
  const persisted = new PersistedQueryLink({
    generateHash: (document) => persistedHash(document),
    useGETForHashedQueries: true,
  });
  return new ApolloClient({
    link: persisted.concat(http),
    cache: new InMemoryCache(options.withPossibleTypes === false ? {} : { possibleTypes }),
  });
}

/** Lists recent jobs, then sends a create the gateway refuses with a typed ValidationError. */
export async function runApolloExample(options: ApolloExampleOptions = {}) {
  const client = createApolloClient(options);
  const list = await client.query({ query: JobListDocument, variables: { first: 5 } });
  const refused = await client.mutate({
    mutation: CreateJobDocument,
    variables: { input: { segmentIds: [] } },
  });
  client.stop();
  return {
    jobs: list.data?.segmentJobs.edges.map((edge) => edge.node) ?? [],
    refused: refused.data,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runApolloExample({ url: process.argv[2] });
  console.log(JSON.stringify(result, null, 2));
}
