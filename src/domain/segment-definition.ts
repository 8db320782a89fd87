// A segment definition as the gateway understands it: the upstream `SegmentDefinition`, validated
// at the edge, every part optional but its id. Pure: imports nothing of ours and does no I/O.
import type { SandboxModel, SegmentExpressionModel } from './segment-job.ts';

/** Whether each evaluation mode is on; a mode the upstream leaves out is absent. */
export interface EvaluationInfoModel {
  batch?: boolean | undefined;
  continuous?: boolean | undefined;
  synchronous?: boolean | undefined;
}

/** A segment definition (`/segment/definitions/{id}`); unknown upstream fields are dropped. */
export interface SegmentDefinitionModel {
  id: string;
  imsOrgId?: string | undefined;
  sandbox?: SandboxModel | undefined;
  name?: string | undefined;
  description?: string | undefined;
  expression?: SegmentExpressionModel | undefined;
  mergePolicyId?: string | undefined;
  schemaName?: string | undefined;
  evaluationInfo?: EvaluationInfoModel | undefined;
  creationTime?: number | undefined;
  updateTime?: number | undefined;
}
