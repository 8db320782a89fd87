// What GraphiQL opens with: a useful example operation, and a header template matching the
// auth mode so a caller sees what to fill in.
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

/** A header template for the auth mode: none when nothing is needed. */
export function graphiqlHeaders(auth: GatewayConfig['auth']): string | undefined {
  if (auth.mode === 'passthrough') {
    return JSON.stringify(
      {
        Authorization: 'Bearer <access token>',
        'x-api-key': '<client id>',
        'x-gw-ims-org-id': '<org id>@AdobeOrg',
        'x-sandbox-name': 'prod',
      },
      null,
      2,
    );
  }
  if (auth.gatewayApiKeys.length > 0) {
    return JSON.stringify({ 'x-gateway-key': '<gateway key>' }, null, 2);
  }
  return undefined;
}
