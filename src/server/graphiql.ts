// GraphiQL: what it opens with (an example operation, a header template matching the auth mode
// whose placeholders say what to fill in), and the page itself rendered on its first request
// only, then kept and served compressed (brotli or gzip, as asked) with an ETag.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, gunzip, gzip, constants as zlibConstants } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { GatewayConfig } from '../config/index.ts';

/** A demo definition with a fixed id ("Gold and platinum members"), for the history example. */
export const GRAPHIQL_EXAMPLE_SEGMENT_ID = '7586678f-bc17-4a9b-a01d-f7849519158b';

/**
 * The operation GraphiQL shows first: the newest jobs with their segments' names and counts, and
 * below it, commented out, a segment's history (uncomment it, or paste it into a new tab).
 */
export const GRAPHIQL_DEFAULT_QUERY = `# Segment jobs of your org and sandbox, newest first, with the name of every
# segment they evaluated and its counts (one definitions bulk-get for the whole page).
# Try: status: SUCCEEDED, segmentId: "...", sort: { field: UPDATE_TIME, direction: DESC },
# or pass pageInfo.endCursor as after to get the next page.
query RecentSegmentJobs {
  segmentJobs(first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        status
        allSegments
        creationTime
        updateTime
        segments { id name }
        metrics {
          totalProfiles
          segments {
            segment { id name }
            qualified
            realized
            exited
          }
        }
      }
    }
  }
}

# A second example: how an audience changed over its last runs, newest last.
# Uncomment it (or paste it into a new tab) and run AudienceHistory. The id is a demo
# definition of the embedded service; list others with segments(first: 20, name: "...").
#
# query AudienceHistory {
#   segment(id: "${GRAPHIQL_EXAMPLE_SEGMENT_ID}") {
#     name
#     description
#     history(last: 10) {
#       jobId
#       runTime
#       qualified
#       realized
#       exited
#       byNamespace { namespace count }
#     }
#   }
# }
`;

/**
 * A header template for the auth mode: none when nothing is needed. Each placeholder is in angle
 * brackets and says what goes there; a value still holding one is refused with a message saying
 * so (see tenants/credential-headers.ts), not with a character-set complaint.
 */
export function graphiqlHeaders(auth: GatewayConfig['auth']): string | undefined {
  if (auth.mode === 'passthrough') {
    return JSON.stringify(
      {
        Authorization: 'Bearer <your IMS access token>',
        'x-api-key': '<your client id (API key) from Adobe Developer Console>',
        'x-gw-ims-org-id': '<your IMS org id, e.g. 1234ABCD>@AdobeOrg',
        'x-sandbox-name': 'prod',
      },
      null,
      2,
    );
  }
  if (auth.gatewayApiKeys.length > 0) {
    return JSON.stringify({ 'x-gateway-key': '<a gateway key from GATEWAY_API_KEYS>' }, null, 2);
  }
  return undefined;
}

/** Whether a request asks for the GraphiQL page: a browser GET of the GraphQL path. */
export function isGraphiqlPageRequest(
  request: IncomingMessage,
  path: string | undefined,
  graphqlPath: string,
): boolean {
  return (
    path === graphqlPath &&
    (request.method === 'GET' || request.method === 'HEAD') &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

/**
 * yoga's `renderGraphiQL`, with `@graphql-yoga/render-graphiql` (its 9 MB page as a string,
 * about 45 MB of RSS and 110 ms once imported) loaded on the first page request, not at start.
 */
export async function renderGraphiqlLazily(options: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  return renderGraphiQL(options);
}

type Encoding = 'br' | 'gzip' | 'identity';

/** The page as kept: compressed only; the rare client asking for none gets it gunzipped. */
interface RenderedPage {
  etag: string;
  gzip: Buffer;
  brotli: Promise<Buffer> | undefined;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The encoding to send for an `Accept-Encoding` header: brotli, then gzip, else none. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding {
  const offered = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)/.exec(param)?.[1]).find(Boolean);
    offered.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  if ((offered.get('br') ?? 0) > 0) return 'br';
  if ((offered.get('gzip') ?? 0) > 0) return 'gzip';
  return 'identity';
}

export interface GraphiqlPage {
  /** Answers a GraphiQL page request: 304 when `If-None-Match` holds the ETag, else the page. */
  answer(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

/**
 * The GraphiQL page, rendered by `render` on first use (never before) and kept gzipped; brotli is
 * made once on first demand.
 * `Cache-Control: no-cache` has the browser revalidate: it gets a 304 (no body) until the
 * gateway's page changes, that is after a restart with another configuration or version.
 */
export function createGraphiqlPage(render: () => Promise<string>): GraphiqlPage {
  let page: Promise<RenderedPage> | undefined;
  const rendered = (): Promise<RenderedPage> => {
    page ??= render().then(async (html) => {
      const identity = Buffer.from(html, 'utf8');
      const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
      return { etag, gzip: await gzipAsync(identity), brotli: undefined };
    });
    // A failed render is tried again on the next request.
    page.catch(() => {
      page = undefined;
    });
    return page;
  };
  const bodyFor = (current: RenderedPage, encoding: Encoding): Promise<Buffer> => {
    if (encoding === 'gzip') return Promise.resolve(current.gzip);
    if (encoding === 'identity') return gunzipAsync(current.gzip);
    current.brotli ??= gunzipAsync(current.gzip).then((identity) =>
      // Quality 5, not the default 11: keeps the one-time compression of the 9 MB page short.
      brotli(identity, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
    );
    // A failed compression is tried again on the next request.
    current.brotli.catch(() => {
      current.brotli = undefined;
    });
    return current.brotli;
  };
  return {
    async answer(request, response) {
      const current = await rendered();
      const headers = {
        'content-type': 'text/html; charset=utf-8',
        etag: current.etag,
        'cache-control': 'no-cache',
        vary: 'accept-encoding',
      };
      const match = request.headers['if-none-match'];
      if (match?.split(',').some((tag) => tag.trim() === current.etag) === true) {
        response.writeHead(304, headers).end();
        return;
      }
      const encoding = chooseEncoding(request.headers['accept-encoding']);
      const body = await bodyFor(current, encoding);
      response.writeHead(200, {
        ...headers,
        'content-length': body.length,
        ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    },
  };
}
