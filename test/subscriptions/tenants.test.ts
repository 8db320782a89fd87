// Subscriptions of several tenants at once in passthrough mode (connectionParams carry the four
// Adobe headers): two orgs, and one org with two sandboxes. Each sees only its own jobs, on the
// feed and by id; another tenant's job id is NOT_FOUND and the message says nothing of its owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SegmentJobEventsSubscription } from '../generated/graphql.ts';
import { SegmentJobEventsDocument, SegmentJobStatusChangedDocument } from '../generated/graphql.ts';
import {
  createDefinitions,
  type GatewayHarness,
  startGatewayHarness,
  tenantHeaders,
} from '../support/gateway-harness.ts';
import { statusesOf, streamProblems } from '../support/subscription-chain.ts';
import {
  createJobOnUpstream,
  createJobThroughGateway,
  tenantKeyOf,
  waitForFeedBaseline,
} from '../support/subscription-jobs.ts';
import { errorsOf, fieldsOf, type SubscriptionRecorder } from '../support/subscription-recorder.ts';
import { connectWs, type WsClient } from '../support/ws-client.ts';

interface TestTenant {
  name: string;
  orgId: string;
  sandboxName: string;
  headers: Record<string, string>;
  ws: WsClient;
  feed: SubscriptionRecorder<SegmentJobEventsSubscription>;
  /** Jobs created through the gateway, then straight on the upstream. */
  jobs: string[];
}

const SPECS = [
  { name: 'org A / prod', orgId: 'SUBSA@AdobeOrg', sandboxName: 'prod', token: 'token-a-secret' },
  { name: 'org B / prod', orgId: 'SUBSB@AdobeOrg', sandboxName: 'prod', token: 'token-b-secret' },
  { name: 'org A / dev', orgId: 'SUBSA@AdobeOrg', sandboxName: 'dev', token: 'token-a-secret' },
] as const;

describe('subscriptions of several tenants at once', () => {
  let harness: GatewayHarness;
  const tenants: TestTenant[] = [];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      env: { AUTH_MODE: 'passthrough', POLL_INTERVAL_MS: '25', EMULATOR_STEP_MS: '100' },
    });
    for (const spec of SPECS) {
      const headers = tenantHeaders(spec.orgId, spec.sandboxName, spec.token);
      const ws = connectWs(harness.graphqlUrl, { connectionParams: headers });
      const feed = ws.subscribe(SegmentJobEventsDocument, {});
      tenants.push({ ...spec, headers, ws, feed, jobs: [] });
    }
    await Promise.all(
      tenants.map((tenant) => waitForFeedBaseline(harness, tenantKeyOf(harness, tenant.headers))),
    );
    for (const tenant of tenants) {
      const [definitionId = ''] = await createDefinitions(harness, tenant.headers, [
        'loyalty.points >= 0',
      ]);
      tenant.jobs.push(await createJobThroughGateway(harness, [definitionId], tenant.headers));
      tenant.jobs.push(
        await createJobOnUpstream(harness.upstreamRest, tenant.headers, [definitionId]),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(tenants.map((tenant) => tenant.ws.dispose()));
    await harness?.close();
  });

  it('gives each tenant a poll loop of its own', () => {
    const keys = tenants.map((tenant) => tenantKeyOf(harness, tenant.headers));
    expect(new Set(keys).size).toBe(3);
    expect(Object.keys(harness.gateway.watcher.stats()).sort()).toEqual([...keys].sort());
  });

  it('delivers each tenant its own jobs by id, to the end', async () => {
    for (const tenant of tenants) {
      const stream = tenant.ws.subscribe(SegmentJobStatusChangedDocument, { ids: tenant.jobs });
      expect(await stream.ended(`${tenant.name}'s jobs to end`, 10_000)).toEqual({
        kind: 'complete',
      });
      const events = fieldsOf(stream.results, 'segmentJobStatusChanged');
      expect(errorsOf(stream)).toEqual([]);
      expect(streamProblems(events, { expectInitial: true })).toEqual([]);
      for (const jobId of tenant.jobs) expect(statusesOf(events, jobId).at(-1)).toBe('SUCCEEDED');
      for (const event of events) {
        expect(event.job).toMatchObject({
          imsOrgId: tenant.orgId,
          sandbox: { sandboxName: tenant.sandboxName },
        });
      }
    }
  });

  it('shows each tenant’s feed only its own jobs', async () => {
    for (const tenant of tenants) {
      await tenant.feed.waitFor(
        (results) => {
          const events = fieldsOf(results, 'segmentJobEvents');
          return tenant.jobs.every((jobId) => statusesOf(events, jobId).includes('SUCCEEDED'));
        },
        `${tenant.name}'s feed to see its jobs succeed`,
        10_000,
      );
    }
    // Every feed has seen all of its own jobs end: anything foreign would have arrived by now.
    for (const tenant of tenants) {
      const events = fieldsOf(tenant.feed.results, 'segmentJobEvents');
      expect(new Set(events.map((event) => event.jobId)), tenant.name).toEqual(
        new Set(tenant.jobs),
      );
      expect(streamProblems(events, { expectInitial: false })).toEqual([]);
      for (const event of events) {
        expect(event.job).toMatchObject({
          imsOrgId: tenant.orgId,
          sandbox: { sandboxName: tenant.sandboxName },
        });
      }
      expect(tenant.feed.outcome).toBeUndefined();
    }
  });

  it.each([
    ['another org', 1, 0],
    ['the same org in another sandbox', 2, 0],
    ['the other way round', 0, 2],
  ])(
    'answers a job id of %s with NOT_FOUND, naming nothing of its owner',
    async (_name, asker, owner) => {
      const [askerTenant, ownerTenant] = [tenants[asker], tenants[owner]];
      if (askerTenant === undefined || ownerTenant === undefined) throw new Error('no such tenant');
      const jobId = ownerTenant.jobs[0] ?? '';
      const stream = askerTenant.ws.subscribe(SegmentJobStatusChangedDocument, { ids: [jobId] });

      await stream.ended('the NOT_FOUND end');
      expect(fieldsOf(stream.results, 'segmentJobStatusChanged')).toEqual([]);
      const errors = errorsOf(stream);
      expect(errors.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
      const message = errors[0]?.message ?? '';
      expect(message).toContain(jobId);
      for (const secret of [
        ownerTenant.orgId,
        'SUBS',
        ownerTenant.headers.authorization,
        'token-',
      ]) {
        expect(message).not.toContain(secret);
      }
      expect(message).not.toMatch(/\b(prod|dev)\b/);
      // The owner's own feed goes on, untouched.
      expect(ownerTenant.feed.outcome).toBeUndefined();
    },
  );
});
