// GraphiQL: what it opens with (an example operation, a header template matching the auth mode
// whose placeholders say what to fill in), and the page itself rendered once, then served
// compressed (brotli or gzip, as asked) with an ETag so a browser downloads it once.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlibConstants } from 'node:zlib';
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

type Encoding = 'br' | 'gzip' | 'identity';

interface RenderedPage {
  identity: Buffer;
  etag: string;
  compressed: Map<Encoding, Promise<Buffer>>;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

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
 * The GraphiQL page, rendered by `render` on first use and kept, with each encoding made once.
 * `Cache-Control: no-cache` has the browser revalidate: it gets a 304 (no body) until the
 * gateway's page changes, that is after a restart with another configuration or version.
 */
export function createGraphiqlPage(render: () => Promise<string>): GraphiqlPage {
  let page: Promise<RenderedPage> | undefined;
  const rendered = (): Promise<RenderedPage> => {
    page ??= render().then((html) => {
      const identity = Buffer.from(html, 'utf8');
      const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
      return { identity, etag, compressed: new Map() };
    });
    // A failed render is tried again on the next request.
    page.catch(() => {
      page = undefined;
    });
    return page;
  };
  const bodyFor = (current: RenderedPage, encoding: Encoding): Promise<Buffer> => {
    if (encoding === 'identity') return Promise.resolve(current.identity);
    let body = current.compressed.get(encoding);
    if (body === undefined) {
      body =
        encoding === 'br'
          ? // Quality 5, not the default 11: keeps the one-time compression of the 9 MB page short.
            brotli(current.identity, {
              params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 },
            })
          : gzipAsync(current.identity);
      current.compressed.set(encoding, body);
    }
    return body;
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
