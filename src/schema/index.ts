// The gateway's GraphQL schema: imports every schema file (each registers its types on the
// builder) and builds the schema once. Nothing else belongs here.
import { builder } from './builder.ts';
import './scalars.ts';
import './errors.ts';
import './page-info.ts';
import './segment.ts';
import './segment-job-metrics.ts';
import './segment-job.ts';
import './segment-job-connection.ts';
import './segment-connection.ts';
import './segment-history.ts';
import './segment-job-event.ts';

export type { GatewayContext } from './builder.ts';

export const schema = builder.toSchema();
