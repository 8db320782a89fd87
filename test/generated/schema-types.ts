export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An instant, as an ISO-8601 string in UTC (e.g. 2024-01-31T12:00:00.000Z). Inputs must carry a zone (Z or ±hh:mm). */
  DateTime: { input: string; output: string; }
};

/** An expected failure with no more specific type; read code and message. */
export type BaseError = Error & {
  __typename: 'BaseError';
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
};

/** The job after the cancel request, or why it could not be cancelled. */
export type CancelSegmentJobResult = BaseError | CancelSegmentJobSuccess | NotFoundError | RateLimitedError | UpstreamError | ValidationError;

/** The cancel request was accepted. */
export type CancelSegmentJobSuccess = {
  __typename: 'CancelSegmentJobSuccess';
  /** The job as it stands after the request (CANCELLING or already final). For a job that had already finished, the state read just before the request. */
  job: SegmentJob;
};

/** Exactly one of segmentIds (1..1500 ids) or allSegments: true. */
export type CreateSegmentJobInput = {
  /** true: evaluate every segment definition. */
  allSegments?: InputMaybe<Scalars['Boolean']['input']>;
  /** The XDM schema an all-segments job evaluates. */
  schemaName?: InputMaybe<Scalars['String']['input']>;
  /** The segment definitions to evaluate: 1 to 1500 distinct, non-empty ids. */
  segmentIds?: InputMaybe<Array<Scalars['ID']['input']>>;
};

/** The created job, or why it was not created. */
export type CreateSegmentJobResult = BaseError | CreateSegmentJobSuccess | NotFoundError | RateLimitedError | UpstreamError | ValidationError;

/** The job was created. */
export type CreateSegmentJobSuccess = {
  __typename: 'CreateSegmentJobSuccess';
  /** The new job, as the upstream created it (NEW). */
  job: SegmentJob;
};

/** Every expected failure a mutation can return implements Error: switch on __typename, or read code and message. */
export type Error = {
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
};

/** Profiles evaluated under one merge policy. */
export type MergePolicyProfileCount = {
  __typename: 'MergePolicyProfileCount';
  /** Profiles evaluated under it. */
  count: Scalars['Float']['output'];
  /** The merge policy id. */
  mergePolicyId: Scalars['ID']['output'];
};

/** The merge policy a segment definition evaluates profiles under. */
export type MergePolicyRef = {
  __typename: 'MergePolicyRef';
  /** The merge policy id; null when the upstream leaves it out. */
  id: Maybe<Scalars['ID']['output']>;
  /** The merge policy version used; null when the upstream leaves it out. */
  version: Maybe<Scalars['Float']['output']>;
};

/** Create and cancel segment jobs. */
export type Mutation = {
  __typename: 'Mutation';
  /** Cancels a job. A running job moves to CANCELLING, then CANCELLED. A job that had already finished is deleted by the upstream; the answer is then its last known state. */
  cancelSegmentJob: CancelSegmentJobResult;
  /** Starts a job. Expected failures (bad input, unknown definitions, too many jobs in progress, upstream down) are returned as typed errors. */
  createSegmentJob: CreateSegmentJobResult;
};


/** Create and cancel segment jobs. */
export type MutationCancelSegmentJobArgs = {
  id: Scalars['ID']['input'];
};


/** Create and cancel segment jobs. */
export type MutationCreateSegmentJobArgs = {
  input: CreateSegmentJobInput;
};

/** Profiles that qualified for a segment, by identity namespace. */
export type NamespaceCount = {
  __typename: 'NamespaceCount';
  /** Profiles with an identity in that namespace. */
  count: Scalars['Float']['output'];
  /** The identity namespace code. */
  namespace: Scalars['String']['output'];
};

/** The Segmentation Service does not know the id for this org and sandbox. */
export type NotFoundError = Error & {
  __typename: 'NotFoundError';
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** The id that was not found, when the operation named a single id. */
  id: Maybe<Scalars['ID']['output']>;
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
};

/** Where a page sits in its list. Pass endCursor as after to get the next page: it repeats no job of earlier pages and skips none that existed when they were read, though jobs are created or deleted in between (a job whose sort key changed may be skipped or repeated). */
export type PageInfo = {
  __typename: 'PageInfo';
  /** Where the next page starts: the cursor of the last item, or on a short empty page the place reached; null on an empty first page. */
  endCursor: Maybe<Scalars['String']['output']>;
  /** True when more items may follow. A page can be short (even empty) with hasNextPage true after many jobs were created between pages: keep paging. */
  hasNextPage: Scalars['Boolean']['output'];
  /** True when this page was asked for after a cursor. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the first item; null on an empty page. */
  startCursor: Maybe<Scalars['String']['output']>;
};

/** Read segment jobs of the caller’s org and sandbox. */
export type Query = {
  __typename: 'Query';
  /** One segment definition; null when the upstream does not know it (for this tenant). Lookups anywhere in one operation share one definitions bulk-get per 100 ids. */
  segment: Maybe<Segment>;
  /** One job; null when the upstream does not know it (for this tenant). */
  segmentJob: Maybe<SegmentJob>;
  /** A page of jobs, newest first unless sorted otherwise. `first` is 1..100. Paging is stable: a page after a cursor repeats no job an earlier page returned and skips none that existed when that page was read, though jobs are created or deleted in between; a job whose sort key changed between pages (e.g. its status, when sorting by STATUS) may be skipped or repeated. A page may hold fewer than `first` jobs while hasNextPage is true when many jobs were created between pages. totalCount is the upstream's. */
  segmentJobs: SegmentJobConnection;
  /** Many jobs by id (1..100), in the order asked; null for an id the upstream does not know, and null with an error at its index for a job the upstream could not return (e.g. UPSTREAM_UNAVAILABLE); the others still arrive. */
  segmentJobsByIds: Array<Maybe<SegmentJob>>;
  /** A page of segment definitions, newest first. `first` is 1..100. Paging is stable as for segmentJobs: a page after a cursor repeats no definition and skips none that existed, though definitions are created or deleted in between. `name` is applied by the gateway (the upstream API has no name filter): it reads the upstream list 100 definitions at a time, at most 4 reads a page, so a filtered page may hold fewer than `first` definitions, even none, while hasNextPage is true. */
  segments: SegmentConnection;
};


/** Read segment jobs of the caller’s org and sandbox. */
export type QuerySegmentArgs = {
  id: Scalars['ID']['input'];
};


/** Read segment jobs of the caller’s org and sandbox. */
export type QuerySegmentJobArgs = {
  id: Scalars['ID']['input'];
};


/** Read segment jobs of the caller’s org and sandbox. */
export type QuerySegmentJobsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  segmentId: InputMaybe<Scalars['ID']['input']>;
  sort: InputMaybe<SegmentJobSort>;
  status: InputMaybe<SegmentJobStatus>;
};


/** Read segment jobs of the caller’s org and sandbox. */
export type QuerySegmentJobsByIdsArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/** Read segment jobs of the caller’s org and sandbox. */
export type QuerySegmentsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  name: InputMaybe<Scalars['String']['input']>;
};

/** The Segmentation Service refused because too many jobs are in progress or requests come too fast. Retry later. */
export type RateLimitedError = Error & {
  __typename: 'RateLimitedError';
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
  /** Seconds to wait before retrying, when the upstream said (Retry-After). */
  retryAfterSeconds: Maybe<Scalars['Float']['output']>;
};

/** The sandbox a job runs in. */
export type Sandbox = {
  __typename: 'Sandbox';
  /** True for the org’s default sandbox. */
  isDefault: Maybe<Scalars['Boolean']['output']>;
  /** The sandbox id. */
  sandboxId: Maybe<Scalars['String']['output']>;
  /** The sandbox name (as sent in x-sandbox-name); null when the upstream leaves it out (optional in its API description). */
  sandboxName: Maybe<Scalars['String']['output']>;
  /** production or development. */
  type: Maybe<Scalars['String']['output']>;
};

/** A segment definition: what a job recorded of it (id, version, expression, merge policy) and the definition as it stands now (name, description, ...). */
export type Segment = {
  __typename: 'Segment';
  /** When the definition was created. Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  creationTime: Maybe<Scalars['DateTime']['output']>;
  /** When the definition was created, in epoch milliseconds. */
  creationTimeMs: Maybe<Scalars['Float']['output']>;
  /** The definition’s description. Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  description: Maybe<Scalars['String']['output']>;
  /** Which evaluation modes are enabled. Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  evaluationInfo: Maybe<SegmentEvaluationInfo>;
  /** The expression: the job’s own snapshot when the job document carries one (no upstream call), else the current definition’s. */
  expression: Maybe<SegmentExpression>;
  /** The last `last` successful runs of this definition, newest last: one point per SUCCEEDED job that named the definition (the upstream's `segments~segmentId==<id>` filter), with the counts that job reported for it. Jobs that evaluated every definition (`*`) are not included: the filter cannot find them, though their metrics hold this definition's counts (read them from segmentJobs). One upstream list call per 100 points. Null for a segment without an id. Each point counts toward the operation’s resolved-items limit. */
  history: Maybe<Array<SegmentHistoryPoint>>;
  /** The segment definition id (segment.id, else segmentId); null when the upstream sends neither (both optional in its API description). */
  id: Maybe<Scalars['ID']['output']>;
  /** True when the upstream no longer knows this definition (deleted since a job ran it): its definition fields are null. Null with an error when the upstream could not be asked. */
  isDeleted: Maybe<Scalars['Boolean']['output']>;
  /** The jobs that named this definition, newest first (the upstream's `segments~segmentId==<id>` filter): the same list as segmentJobs(segmentId:), with the same cursors. Jobs that evaluated every definition (`*`) are not among them. Null for a segment without an id. Each job counts toward the operation’s resolved-items limit. */
  jobs: Maybe<SegmentJobConnection>;
  /** The merge policy and its version, when the job document includes it. */
  mergePolicy: Maybe<MergePolicyRef>;
  /** The id of the merge policy: the job’s snapshot when it carries one, else the current definition’s. */
  mergePolicyId: Maybe<Scalars['ID']['output']>;
  /** The definition’s name, e.g. "Gold members in the US". Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  name: Maybe<Scalars['String']['output']>;
  /** The XDM schema the definition applies to, e.g. _xdm.context.profile. Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  schemaName: Maybe<Scalars['String']['output']>;
  /** When the definition last changed. Read from the current definition (one definitions bulk-get per 100 segments of the operation, only when selected); null when the definition was deleted (see isDeleted). */
  updateTime: Maybe<Scalars['DateTime']['output']>;
  /** When the definition last changed, in epoch milliseconds. */
  updateTimeMs: Maybe<Scalars['Float']['output']>;
  /** The definition version the job evaluated, when the upstream says. */
  version: Maybe<Scalars['Float']['output']>;
};


/** A segment definition: what a job recorded of it (id, version, expression, merge policy) and the definition as it stands now (name, description, ...). */
export type SegmentHistoryArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
};


/** A segment definition: what a job recorded of it (id, version, expression, merge policy) and the definition as it stands now (name, description, ...). */
export type SegmentJobsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status: InputMaybe<SegmentJobStatus>;
};

/** A page of segment definitions. */
export type SegmentConnection = {
  __typename: 'SegmentConnection';
  /** The definitions of this page, newest first. Each counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS). */
  edges: Array<SegmentEdge>;
  /** Where this page sits in the list. */
  pageInfo: PageInfo;
  /** Definitions of the sandbox, across all pages, as the upstream counts them: before the name filter, which the upstream cannot apply. */
  totalCount: Scalars['Int']['output'];
};

/** One segment definition in a page, with its cursor. */
export type SegmentEdge = {
  __typename: 'SegmentEdge';
  /** Opaque; pass as after to start the next page right after this definition (stable when definitions are created or deleted in between). */
  cursor: Scalars['String']['output'];
  /** The definition. */
  node: Segment;
};

/** How the definition is evaluated; a mode the upstream leaves out is null. */
export type SegmentEvaluationInfo = {
  __typename: 'SegmentEvaluationInfo';
  /** Evaluated by batch segmentation (segment jobs). */
  batch: Maybe<Scalars['Boolean']['output']>;
  /** Evaluated by streaming segmentation. */
  continuous: Maybe<Scalars['Boolean']['output']>;
  /** Evaluated by edge segmentation. */
  synchronous: Maybe<Scalars['Boolean']['output']>;
};

/** The rule a segment definition evaluates. */
export type SegmentExpression = {
  __typename: 'SegmentExpression';
  /** How value is written, e.g. pql/text or pql/json; null when the upstream leaves it out. */
  format: Maybe<Scalars['String']['output']>;
  /** The expression language, e.g. PQL; null when the upstream leaves it out. */
  type: Maybe<Scalars['String']['output']>;
  /** The expression itself; null when the upstream leaves it out. */
  value: Maybe<Scalars['String']['output']>;
};

/** The counts of one segment definition in one successful job. */
export type SegmentHistoryPoint = {
  __typename: 'SegmentHistoryPoint';
  /** Qualified profiles by identity namespace; empty when not reported. Each entry counts toward the operation’s resolved-items limit. */
  byNamespace: Array<NamespaceCount>;
  /** When the job finished (metrics.totalTime.endTimeInMs). */
  endTime: Maybe<Scalars['DateTime']['output']>;
  /** Profiles that left the segment in this run. */
  exited: Maybe<Scalars['Float']['output']>;
  /** The job that ran the definition. */
  jobId: Scalars['ID']['output'];
  /** Profiles in the segment after this run; null when the job did not report it. */
  qualified: Maybe<Scalars['Float']['output']>;
  /** Profiles that entered the segment in this run. */
  realized: Maybe<Scalars['Float']['output']>;
  /** When the job was created: the order of the history. */
  runTime: Maybe<Scalars['DateTime']['output']>;
  /** runTime in epoch milliseconds. */
  runTimeMs: Maybe<Scalars['Float']['output']>;
};

/** An asynchronous run that evaluates segment definitions over the profile store. */
export type SegmentJob = {
  __typename: 'SegmentJob';
  /** True when the job runs every segment definition (the upstream shows segmentId '*'). */
  allSegments: Scalars['Boolean']['output'];
  /** The batch the job wrote its results to. */
  batchId: Maybe<Scalars['String']['output']>;
  /** The id of the job at the compute gateway. */
  computeGatewayJobId: Maybe<Scalars['String']['output']>;
  /** The numeric id of the compute job. */
  computeJobId: Maybe<Scalars['Float']['output']>;
  /** When the job was created. */
  creationTime: Maybe<Scalars['DateTime']['output']>;
  /** When the job was created, in epoch milliseconds (as the upstream sent it). */
  creationTimeMs: Maybe<Scalars['Float']['output']>;
  /** Errors the upstream recorded on the job; empty when none. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS). */
  errors: Array<SegmentJobErrorDetail>;
  /** The job id. */
  id: Scalars['ID']['output'];
  /** The IMS organization that owns the job; null when the upstream leaves it out (optional in its API description; the job is then the caller’s org’s). */
  imsOrgId: Maybe<Scalars['String']['output']>;
  /** True once the status can no longer change (SUCCEEDED, FAILED, CANCELLED). */
  isFinal: Scalars['Boolean']['output'];
  /** What the job measured; partial while it runs, null before it starts. */
  metrics: Maybe<SegmentJobMetrics>;
  /** The profile store instance, e.g. ups. */
  profileInstanceId: Maybe<Scalars['String']['output']>;
  /** Scheduling details, when a schedule started the job. */
  properties: Maybe<SegmentJobProperties>;
  /** The upstream request that created the job. */
  requestId: Maybe<Scalars['String']['output']>;
  /** The sandbox the job runs in. */
  sandbox: Maybe<Sandbox>;
  /** The XDM schema evaluated, e.g. _xdm.context.profile. */
  schemaName: Maybe<Scalars['String']['output']>;
  /** The definitions the job evaluates; empty when allSegments is true. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS). */
  segments: Array<Segment>;
  /** What started the job, e.g. scheduler or api. */
  source: Maybe<Scalars['String']['output']>;
  /** The lifecycle status. */
  status: SegmentJobStatus;
  /** When the job last changed, in epoch seconds (as the upstream sent it). */
  updateEpoch: Maybe<Scalars['Float']['output']>;
  /** When the job last changed. */
  updateTime: Maybe<Scalars['DateTime']['output']>;
  /** When the job last changed, in epoch milliseconds (as the upstream sent it). */
  updateTimeMs: Maybe<Scalars['Float']['output']>;
};

/** A page of jobs. */
export type SegmentJobConnection = {
  __typename: 'SegmentJobConnection';
  /** The jobs of this page, in order. A job the upstream sent unreadable is left out (see unreadableCount), with an UPSTREAM_UNAVAILABLE error at this path. */
  edges: Array<SegmentJobEdge>;
  /** Where this page sits in the list. */
  pageInfo: PageInfo;
  /** Jobs that match the filters, across all pages. */
  totalCount: Scalars['Int']['output'];
  /** Jobs of this page the upstream sent in a shape the gateway cannot read (no id, an unknown status): left out of edges, each reported as an error with extensions.upstreamIndex. 0 normally. */
  unreadableCount: Scalars['Int']['output'];
};

/** One job in a page, with its cursor. */
export type SegmentJobEdge = {
  __typename: 'SegmentJobEdge';
  /** Opaque; pass as after to start the next page right after this job (stable when jobs are created or deleted in between). */
  cursor: Scalars['String']['output'];
  /** The job. */
  node: SegmentJob;
};

/** An error the upstream recorded on a job (e.g. why it FAILED). */
export type SegmentJobErrorDetail = {
  __typename: 'SegmentJobErrorDetail';
  /** The upstream’s error code. */
  code: Maybe<Scalars['String']['output']>;
  /** The upstream’s message. */
  message: Maybe<Scalars['String']['output']>;
};

/** What a job measured. Partial while the job runs. */
export type SegmentJobMetrics = {
  __typename: 'SegmentJobMetrics';
  /** The segmentation phase alone. */
  profileSegmentationTime: Maybe<TimeWindow>;
  /** One entry per segment definition, joining the upstream’s per-segment maps. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS, 20000 by default); past it the operation ends with a BAD_USER_INPUT error. */
  segments: Array<SegmentMetrics>;
  /** Profiles evaluated. Counts can exceed 2^31: never fail to serialize a large count. */
  totalProfiles: Maybe<Scalars['Float']['output']>;
  /** Profiles evaluated, per merge policy; empty when not reported. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS). */
  totalProfilesByMergePolicy: Array<MergePolicyProfileCount>;
  /** The whole job, from start to end. */
  totalTime: Maybe<TimeWindow>;
};

/** Scheduling details of a job started by a schedule. */
export type SegmentJobProperties = {
  __typename: 'SegmentJobProperties';
  /** The schedule’s run id. */
  runId: Maybe<Scalars['String']['output']>;
  /** The schedule that started the job. */
  scheduleId: Maybe<Scalars['String']['output']>;
};

/** How to order jobs. */
export type SegmentJobSort = {
  /** Which way. */
  direction: SortDirection;
  /** What to sort by. */
  field: SegmentJobSortField;
};

/** What to sort jobs by. */
export type SegmentJobSortField =
  /** When the job was created. */
  | 'CREATION_TIME'
  /** The job status, by name. */
  | 'STATUS'
  /** When the job last changed. */
  | 'UPDATE_TIME';

/** Where a job is in its lifecycle: NEW → QUEUED → PROCESSING → SUCCEEDED or FAILED; a cancel goes through CANCELLING to CANCELLED. */
export type SegmentJobStatus =
  /** Stopped by a cancel. Final. */
  | 'CANCELLED'
  /** A cancel was requested; the job is stopping. */
  | 'CANCELLING'
  /** Finished with errors (see errors). Final. */
  | 'FAILED'
  /** Created, not yet queued. */
  | 'NEW'
  /** Evaluating profiles. */
  | 'PROCESSING'
  /** Waiting for compute. */
  | 'QUEUED'
  /** Finished; metrics are complete. Final. */
  | 'SUCCEEDED';

/** One job observed with a status: its state when the subscription began (initial: true), or a change since. */
export type SegmentJobStatusEvent = {
  __typename: 'SegmentJobStatusEvent';
  /** Opaque position of this event in the tenant feed: pass it as segmentJobEvents(after:) to resume after it. Set on segmentJobEvents events; null on segmentJobStatusChanged, when the gateway runs without Redis, or when Redis could not store the event. */
  cursor: Maybe<Scalars['String']['output']>;
  /** True on a subscriber's first event per job: its state when the subscription began. */
  initial: Scalars['Boolean']['output'];
  /** The job as observed with this status. */
  job: SegmentJob;
  /** The job this event is about. */
  jobId: Scalars['ID']['output'];
  /** When the gateway observed this status (UTC). */
  observedAt: Scalars['DateTime']['output'];
  /** observedAt in epoch milliseconds. */
  observedAtMs: Scalars['Float']['output'];
  /** The status last delivered to this subscriber for this job; null on the initial event (and, on the tenant feed, for a job first seen). */
  previousStatus: Maybe<SegmentJobStatus>;
  /** The status observed. */
  status: SegmentJobStatus;
};

/** The counts of one segment definition in a job. */
export type SegmentMetrics = {
  __typename: 'SegmentMetrics';
  /** Qualified profiles by identity namespace; empty when not reported. Each entry counts toward the operation’s resolved-items limit (GRAPHQL_MAX_RESOLVED_ITEMS). */
  byNamespace: Array<NamespaceCount>;
  /** Profiles that left the segment in this run. */
  exited: Maybe<Scalars['Float']['output']>;
  /** Profiles that qualified in this run. */
  qualified: Maybe<Scalars['Float']['output']>;
  /** Profiles that entered the segment in this run. */
  realized: Maybe<Scalars['Float']['output']>;
  /** The segment definition these counts are for; its definition fields (name, ...) are read through the same loader as a job’s segments. */
  segment: Segment;
  /** The segment definition id. */
  segmentId: Scalars['ID']['output'];
};

/** Sort order. */
export type SortDirection =
  /** Smallest, oldest or first in the alphabet first. */
  | 'ASC'
  /** Largest, newest or last in the alphabet first. */
  | 'DESC';

/** Live status of segment jobs. Over WebSocket (graphql-transport-ws) or SSE on /graphql. Events of one job arrive in order; see docs/subscriptions.md. */
export type Subscription = {
  __typename: 'Subscription';
  /** Transitions of every job of the caller's tenant, optionally only into the given statuses; includes jobs created elsewhere. Starts with the next change (no initial events) and never completes by itself. With after, first every event after that cursor (on any replica), then live ones with none missing or repeated; a cursor the feed no longer covers ends the stream with CURSOR_EXPIRED (reload the list), a malformed one is BAD_USER_INPUT, and a gateway without Redis refuses after with RESUME_UNAVAILABLE. */
  segmentJobEvents: SegmentJobStatusEvent;
  /** Status transitions of the given jobs (1..100 ids). The first event per job is its current state (initial: true); the stream completes once every job is final. An id this tenant does not have ends the stream with NOT_FOUND. */
  segmentJobStatusChanged: SegmentJobStatusEvent;
};


/** Live status of segment jobs. Over WebSocket (graphql-transport-ws) or SSE on /graphql. Events of one job arrive in order; see docs/subscriptions.md. */
export type SubscriptionSegmentJobEventsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  status: InputMaybe<Array<SegmentJobStatus>>;
};


/** Live status of segment jobs. Over WebSocket (graphql-transport-ws) or SSE on /graphql. Events of one job arrive in order; see docs/subscriptions.md. */
export type SubscriptionSegmentJobStatusChangedArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/** A start/end/total time window. While a job runs, parts are missing (null). */
export type TimeWindow = {
  __typename: 'TimeWindow';
  /** End, as a DateTime. */
  endTime: Maybe<Scalars['DateTime']['output']>;
  /** End, in epoch milliseconds. */
  endTimeInMs: Maybe<Scalars['Float']['output']>;
  /** Start, as a DateTime. */
  startTime: Maybe<Scalars['DateTime']['output']>;
  /** Start, in epoch milliseconds. */
  startTimeInMs: Maybe<Scalars['Float']['output']>;
  /** Duration in milliseconds. */
  totalTimeInMs: Maybe<Scalars['Float']['output']>;
};

/** The Segmentation Service failed, did not answer in time, or its answer was lost. With UPSTREAM_OUTCOME_UNKNOWN the job may exist: look before creating it again. */
export type UpstreamError = Error & {
  __typename: 'UpstreamError';
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
  /** The upstream request id, for support tickets. */
  requestId: Maybe<Scalars['String']['output']>;
  /** The HTTP status the upstream answered with; null on a timeout or network fault. */
  status: Maybe<Scalars['Int']['output']>;
};

/** The input was not acceptable. Nothing was sent to the upstream, or it refused the input. */
export type ValidationError = Error & {
  __typename: 'ValidationError';
  /** A stable code: BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT or UPSTREAM_OUTCOME_UNKNOWN. */
  code: Scalars['String']['output'];
  /** The input field at fault (e.g. segmentIds), or input when the combination is wrong. */
  field: Scalars['String']['output'];
  /** What went wrong, in words a person can act on. */
  message: Scalars['String']['output'];
};
