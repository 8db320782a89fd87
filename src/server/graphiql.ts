// What GraphiQL opens with: a useful example operation, and a header template matching the
// auth mode so a caller sees what to fill in.
import type { GatewayConfig } from '../config/index.ts';

/** The operation GraphiQL shows first: the newest jobs with their status and counts. */
export const GRAPHIQL_DEFAULT_QUERY = `# Segment jobs of your org and sandbox, newest first.
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
        segments { id }
        metrics {
          totalProfiles
          segments { segmentId qualified realized exited }
        }
      }
    }
  }
}
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
