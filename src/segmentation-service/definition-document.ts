// The segment definition exactly as the REST API shows it (field names of Adobe's OpenAPI
// `SegmentDefinition`). Pure: validation of the PQL itself happens where definitions are written.
import { randomUUID } from 'node:crypto';
import { type SandboxDocument, sandboxDocument, type TenantScope } from './tenant-scope.ts';

export interface SegmentExpression {
  type: 'PQL';
  format: 'pql/text' | 'pql/json';
  value: string;
}

export interface EvaluationInfo {
  batch: { enabled: boolean };
  continuous: { enabled: boolean };
  synchronous: { enabled: boolean };
}

export interface DefinitionDocument {
  id: string;
  imsOrgId: string;
  sandbox: SandboxDocument;
  profileInstanceId: string;
  name: string;
  description: string;
  expression: SegmentExpression;
  schema: { name: string };
  mergePolicyId: string;
  evaluationInfo: EvaluationInfo;
  dataGovernancePolicy: { excludeOptOut: boolean };
  creationTime: number;
  updateTime: number;
  updateEpoch: number;
  /** Kept as given; only present when a create or PATCH gave it. */
  payloadSchema?: string;
}

export interface DataGovernancePolicy {
  excludeOptOut: boolean;
}

export const DEFAULT_EVALUATION_INFO: EvaluationInfo = {
  batch: { enabled: true },
  continuous: { enabled: false },
  synchronous: { enabled: false },
};

export interface NewDefinitionInput {
  scope: TenantScope;
  name: string;
  description?: string | undefined;
  expression: SegmentExpression;
  schemaName: string;
  mergePolicyId: string;
  evaluationInfo?: EvaluationInfo | undefined;
  /** @default 'ups' */
  profileInstanceId?: string | undefined;
  /** @default { excludeOptOut: true } */
  dataGovernancePolicy?: DataGovernancePolicy | undefined;
  payloadSchema?: string | undefined;
  nowMs: number;
}

export function createDefinitionDocument(input: NewDefinitionInput): DefinitionDocument {
  return {
    id: randomUUID(),
    imsOrgId: input.scope.orgId,
    sandbox: sandboxDocument(input.scope),
    profileInstanceId: input.profileInstanceId ?? 'ups',
    name: input.name,
    description: input.description ?? '',
    expression: input.expression,
    schema: { name: input.schemaName },
    mergePolicyId: input.mergePolicyId,
    evaluationInfo: input.evaluationInfo ?? DEFAULT_EVALUATION_INFO,
    dataGovernancePolicy: input.dataGovernancePolicy ?? { excludeOptOut: true },
    creationTime: input.nowMs,
    updateTime: input.nowMs,
    updateEpoch: Math.floor(input.nowMs / 1000),
    ...(input.payloadSchema === undefined ? {} : { payloadSchema: input.payloadSchema }),
  };
}

export interface DefinitionChanges {
  name?: string | undefined;
  description?: string | undefined;
  expression?: SegmentExpression | undefined;
  evaluationInfo?: EvaluationInfo | undefined;
  dataGovernancePolicy?: DataGovernancePolicy | undefined;
  payloadSchema?: string | undefined;
}

/** The definition after a PATCH; `updateTime` always advances. */
export function patchDefinitionDocument(
  definition: DefinitionDocument,
  changes: DefinitionChanges,
  nowMs: number,
): DefinitionDocument {
  const updateTime = Math.max(nowMs, definition.updateTime + 1);
  return {
    ...definition,
    name: changes.name ?? definition.name,
    description: changes.description ?? definition.description,
    expression: changes.expression ?? definition.expression,
    evaluationInfo: changes.evaluationInfo ?? definition.evaluationInfo,
    dataGovernancePolicy: changes.dataGovernancePolicy ?? definition.dataGovernancePolicy,
    updateTime,
    updateEpoch: Math.floor(updateTime / 1000),
    ...(changes.payloadSchema === undefined ? {} : { payloadSchema: changes.payloadSchema }),
  };
}
