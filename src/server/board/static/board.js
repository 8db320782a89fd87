// The job board: the tenant's recent jobs as one @live query (the gateway pushes the list again
// when a job changes status or a job is created), and a button that runs a segment with the
// createSegmentJob mutation. Plain ES modules on the public GraphQL API; nothing else.
import { connect } from './graphql-ws-lite.js';

// Recent jobs with their segments' names and counts. `@live`: re-sent whenever the watcher sees
// one of these jobs change status, or a new job in the tenant.
const BOARD_QUERY = /* GraphQL */ `
  query Board @live {
    segmentJobs(first: 10) {
      edges {
        node {
          id
          status
          creationTime
          segments { id name }
          metrics { totalProfiles segments { segment { name } qualified } }
        }
      }
    }
  }`;

const SEGMENTS_QUERY = /* GraphQL */ `
  query BoardSegments { segments(first: 20) { edges { node { id name } } } }`;

// Errors of the mutation are union members implementing `Error { code message }`.
const RUN_SEGMENT = /* GraphQL */ `
  mutation RunSegment($id: ID!) {
    createSegmentJob(input: { segmentIds: [$id] }) {
      __typename
      ... on CreateSegmentJobSuccess { job { id status } }
      ... on Error { code message }
    }
  }`;

const $ = (selector) => document.querySelector(selector);
const status = (text) => {
  $('#message').textContent = text;
};

// Credentials: none with a service-mode gateway (like GraphiQL); with a passthrough gateway,
// put the four Adobe headers as JSON in localStorage under 'board.connectionParams'.
const connectionParams = JSON.parse(localStorage.getItem('board.connectionParams') ?? '{}');
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
const client = connect(url, connectionParams);

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function render(result) {
  if (result.errors) status(result.errors.map((error) => error.message).join('; '));
  const rows = (result.data?.segmentJobs?.edges ?? []).map(({ node }) => {
    const tr = document.createElement('tr');
    tr.dataset.jobId = node.id;
    tr.dataset.status = node.status;
    const names = node.segments.map((segment) => segment.name ?? segment.id).join(', ');
    const counts = (node.metrics?.segments ?? [])
      .map((entry) => `${entry.segment?.name ?? '?'}: ${entry.qualified ?? 0}`)
      .join(', ');
    tr.append(
      cell(node.id.slice(0, 8)),
      cell(node.status),
      cell(names || '(all)'),
      cell(counts || '–'),
      cell(node.creationTime ?? ''),
    );
    tr.children[1].className = `status ${node.status}`;
    return tr;
  });
  $('#jobs tbody').replaceChildren(...rows);
}

client.subscribe(
  { query: BOARD_QUERY },
  { next: render, error: (error) => status(`live query failed: ${JSON.stringify(error)}`) },
);

const segments = await client.request({ query: SEGMENTS_QUERY });
for (const { node } of segments.data?.segments?.edges ?? []) {
  $('#segment').append(new Option(node.name, node.id));
}

$('#run').addEventListener('click', async () => {
  const result = await client.request({
    query: RUN_SEGMENT,
    variables: { id: $('#segment').value },
  });
  const outcome = result.data?.createSegmentJob;
  status(
    outcome?.__typename === 'CreateSegmentJobSuccess'
      ? `started job ${outcome.job.id}`
      : `not started: ${outcome?.message ?? JSON.stringify(result.errors)}`,
  );
  if (outcome?.job) document.body.dataset.lastJobId = outcome.job.id;
});
$('#run').disabled = false;
