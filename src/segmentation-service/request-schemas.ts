// Request bodies of the REST API, validated with zod before anything is written. Messages name
// the field, what was expected and what arrived. Pure: the PQL itself is compiled by the routes.
import { z } from 'zod';
import { ALL_SEGMENTS_ID } from '../domain/index.ts';
import { DEFAULT_SCHEMA_NAME } from './job-document.ts';
import { badRequest } from './service-errors.ts';

/** Ids per bulk-get request, as Adobe's bulk-gets accept. */
export const MAX_BULK_GET_IDS = 100;

const MAX_NAME_LENGTH = 256;
const MAX_TEXT_LENGTH = 10_000;
const MAX_PQL_LENGTH = 100_000;

function describePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    text += typeof key === 'number' ? `[${key}]` : `${text === '' ? '' : '.'}${String(key)}`;
  }
  return text === '' ? 'body' : text;
}

/** Parses `value` with `schema` or throws a 400 listing the first few problems. */
export function parseBody<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  /** Where `value` sits in the body, e.g. `['profiles', 12]`. */
  pathPrefix: readonly PropertyKey[] = [],
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${describePath([...pathPrefix, ...issue.path])}: ${issue.message}`);
  throw badRequest(`invalid ${what}: ${problems.join('; ')}`);
}

const nonEmptyText = (max: number) => z.string().trim().min(1).max(max);

const segmentIdSchema = z.object({ segmentId: nonEmptyText(MAX_NAME_LENGTH) });

const segmentIdListSchema = z.array(segmentIdSchema).min(1);

const allSegmentsJobSchema = z.object({
  schema: z.object({ name: nonEmptyText(MAX_NAME_LENGTH) }),
  segments: z
    .array(z.object({ segmentId: z.literal(ALL_SEGMENTS_ID) }))
    .length(1, 'expected exactly one entry, {"segmentId":"*"}'),
});

export type CreateJobBody =
  | { kind: 'segments'; segmentIds: string[] }
  | { kind: 'all'; schemaName: string };

/**
 * `[{segmentId}, …]` or `{schema:{name}, segments:[{segmentId:"*"}]}`. An array holding only
 * `{segmentId:"*"}` also means every definition.
 */
export function parseCreateJobBody(body: unknown): CreateJobBody {
  if (Array.isArray(body)) {
    const entries = parseBody(segmentIdListSchema, body, 'segment job request');
    const ids = [...new Set(entries.map((entry) => entry.segmentId))];
    if (ids.includes(ALL_SEGMENTS_ID)) {
      if (ids.length > 1) {
        throw badRequest('expected either segment ids or a single "*", but got both');
      }
      return { kind: 'all', schemaName: DEFAULT_SCHEMA_NAME };
    }
    return { kind: 'segments', segmentIds: ids };
  }
  if (typeof body === 'object' && body !== null) {
    const parsed = parseBody(allSegmentsJobSchema, body, 'segment job request');
    return { kind: 'all', schemaName: parsed.schema.name };
  }
  throw badRequest(
    `expected an array of {"segmentId"} or {"schema":{"name"},"segments":[{"segmentId":"*"}]}, but got ${describeJsonType(body)}`,
  );
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export const bulkGetSchema = z.object({
  ids: z
    .array(z.object({ id: nonEmptyText(MAX_NAME_LENGTH) }))
    .min(1)
    .max(MAX_BULK_GET_IDS),
});

const expressionSchema = z.object({
  type: z.literal('PQL', 'expected "PQL"').default('PQL'),
  format: z.enum(['pql/text', 'pql/json']),
  value: z.string().min(1).max(MAX_PQL_LENGTH),
});

const evaluationInfoSchema = z.object({
  batch: z.object({ enabled: z.boolean() }).default({ enabled: true }),
  continuous: z.object({ enabled: z.boolean() }).default({ enabled: false }),
  synchronous: z.object({ enabled: z.boolean() }).default({ enabled: false }),
});

const dataGovernancePolicySchema = z.object({ excludeOptOut: z.boolean() });

// Fields of the OpenAPI's CreateSegmentDefinition and SegmentDefinition; read-only ones (id,
// imsOrgId, times) and undocumented ones are dropped.
export const createDefinitionSchema = z.object({
  name: nonEmptyText(MAX_NAME_LENGTH),
  description: z.string().max(MAX_TEXT_LENGTH).optional(),
  profileInstanceId: nonEmptyText(MAX_NAME_LENGTH).optional(),
  expression: expressionSchema,
  schema: z.object({ name: nonEmptyText(MAX_NAME_LENGTH) }).default({ name: DEFAULT_SCHEMA_NAME }),
  mergePolicyId: nonEmptyText(MAX_NAME_LENGTH).optional(),
  evaluationInfo: evaluationInfoSchema.optional(),
  dataGovernancePolicy: dataGovernancePolicySchema.optional(),
  payloadSchema: z.string().max(MAX_TEXT_LENGTH).optional(),
});

export const patchDefinitionSchema = z
  .object({
    name: nonEmptyText(MAX_NAME_LENGTH).optional(),
    description: z.string().max(MAX_TEXT_LENGTH).optional(),
    expression: expressionSchema.optional(),
    evaluationInfo: evaluationInfoSchema.optional(),
    dataGovernancePolicy: dataGovernancePolicySchema.optional(),
    payloadSchema: z.string().max(MAX_TEXT_LENGTH).optional(),
  })
  .refine(
    (patch) => Object.values(patch).some((value) => value !== undefined),
    'expected at least one of name, description, expression, evaluationInfo, dataGovernancePolicy, payloadSchema',
  );

const identitySchema = z.looseObject({
  id: z.string().min(1).max(MAX_TEXT_LENGTH),
  primary: z.boolean().optional(),
});

export const profileSchema = z.looseObject({
  identityMap: z
    .record(z.string().min(1).max(MAX_NAME_LENGTH), z.array(identitySchema))
    .refine(
      (identityMap) => Object.values(identityMap).some((identities) => identities.length > 0),
      'expected at least one identity, e.g. {"Email":[{"id":"a@example.com","primary":true}]}',
    ),
});

export type ProfileInput = z.output<typeof profileSchema>;

/** The envelope of a profile load; each profile is checked with `profileSchema` on its own. */
export const profileLoadEnvelopeSchema = z.object({
  profiles: z.array(z.unknown()),
  replace: z.boolean().default(false),
});
