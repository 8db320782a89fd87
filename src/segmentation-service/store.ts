// SQLite storage of the embedded service: jobs, definitions, profiles, merge policies and the
// memberships of past runs, always scoped by org and sandbox. Prepared statements, WAL, one
// transaction per logical write. It knows nothing of HTTP or of the job lifecycle's timing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isFinal, SEGMENT_JOB_STATUSES, type SegmentJobStatus } from '../domain/index.ts';
import type { DefinitionDocument } from './definition-document.ts';
import type { JobDocument } from './job-document.ts';
import { type DefinitionListQuery, type JobListQuery, matchesProperty } from './list-query.ts';
import { defaultMergePolicyId, type TenantScope } from './tenant-scope.ts';

/** File name of the database inside the data dir. */
export const DATABASE_FILE = 'segmentation-service.db';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE merge_policies (
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  is_default INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  PRIMARY KEY (org_id, sandbox_name, id)
);
CREATE TABLE definitions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  name TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX definitions_name ON definitions (org_id, sandbox_name, name);
CREATE INDEX definitions_creation ON definitions (org_id, sandbox_name, creation_time);
CREATE INDEX definitions_update ON definitions (org_id, sandbox_name, update_time);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  status TEXT NOT NULL,
  status_rank INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  definition_ids TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX jobs_creation ON jobs (org_id, sandbox_name, creation_time);
CREATE INDEX jobs_update ON jobs (org_id, sandbox_name, update_time);
CREATE INDEX jobs_status ON jobs (org_id, sandbox_name, status, creation_time);
CREATE INDEX jobs_status_rank ON jobs (org_id, sandbox_name, status_rank);
CREATE INDEX jobs_unfinished ON jobs (status);
CREATE TABLE profiles (
  row_id INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  identity TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX profiles_identity ON profiles (org_id, sandbox_name, identity);
CREATE INDEX profiles_tenant ON profiles (org_id, sandbox_name);
CREATE TABLE memberships (
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  definition_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  members TEXT NOT NULL,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (org_id, sandbox_name, definition_id, job_id)
);
CREATE INDEX memberships_job ON memberships (job_id);
CREATE TABLE membership_heads (
  org_id TEXT NOT NULL,
  sandbox_name TEXT NOT NULL,
  definition_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  PRIMARY KEY (org_id, sandbox_name, definition_id)
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('computeJobId', 10000);
`;

const UNFINISHED_STATUSES = SEGMENT_JOB_STATUSES.filter((status) => !isFinal(status));

export interface MergePolicyRecord {
  id: string;
  name: string;
  version: number;
  isDefault: boolean;
}

/** A stored job: its document and the definitions it runs (`null`: every definition). */
export interface JobRecord {
  scope: TenantScope;
  doc: JobDocument;
  definitionIds: string[] | null;
}

export interface StoredProfileInput {
  /** See `identityKey`. */
  identity: string;
  /** The profile document as JSON text. */
  doc: string;
}

export interface StoredProfileRow {
  rowId: number;
  identity: string;
  doc: string;
}

export interface ProfileWriteResult {
  created: number;
  updated: number;
  deleted: number;
  totalProfiles: number;
}

export interface SegmentationStore {
  /** The tenant's default merge policy, created on first use (stable id, version 1). */
  defaultMergePolicy(scope: TenantScope): MergePolicyRecord;
  getMergePolicy(scope: TenantScope, id: string): MergePolicyRecord | undefined;

  insertDefinition(scope: TenantScope, doc: DefinitionDocument): 'created' | 'name-taken';
  replaceDefinition(
    scope: TenantScope,
    doc: DefinitionDocument,
  ): 'updated' | 'name-taken' | 'missing';
  getDefinition(scope: TenantScope, id: string): DefinitionDocument | undefined;
  getDefinitions(scope: TenantScope, ids: readonly string[]): Map<string, DefinitionDocument>;
  allDefinitions(scope: TenantScope): DefinitionDocument[];
  listDefinitions(
    scope: TenantScope,
    query: DefinitionListQuery,
  ): { totalCount: number; definitions: DefinitionDocument[] };
  countDefinitions(scope: TenantScope): number;
  /** Deletes the definition and its stored membership. */
  deleteDefinition(scope: TenantScope, id: string): boolean;

  nextComputeJobId(): number;
  /** Inserts the job unless the tenant already has `maxActiveJobs` unfinished jobs. */
  insertJob(record: JobRecord, maxActiveJobs: number): boolean;
  getJob(scope: TenantScope, id: string): JobRecord | undefined;
  getJobById(id: string): JobRecord | undefined;
  /** Replaces the stored document; false when the job is gone. */
  updateJob(doc: JobDocument): boolean;
  /**
   * Stores a finished job and, in the same transaction, makes the membership drafts it staged
   * for `definitionIds` the current ones (a definition with no draft keeps its current one). False (drafts discarded) when the job is gone or no
   * longer PROCESSING.
   */
  finishJob(scope: TenantScope, doc: JobDocument, definitionIds: readonly string[]): boolean;
  deleteJob(scope: TenantScope, id: string): boolean;
  listJobs(scope: TenantScope, query: JobListQuery): { totalCount: number; jobs: JobDocument[] };
  countActiveJobs(scope: TenantScope): number;
  /** Every job of every tenant that is not final, oldest first (for recovery after a restart). */
  unfinishedJobs(): JobRecord[];

  /** Upserts by identity in one transaction; `replace` first removes the tenant's profiles. */
  saveProfiles(
    scope: TenantScope,
    profiles: readonly StoredProfileInput[],
    replace: boolean,
  ): ProfileWriteResult;
  /**
   * Upserts one slice of a larger load by identity, in one transaction, and says how many were
   * new; a load is a sequence of such slices (see `profile-loads.ts`).
   */
  writeProfileSlice(
    scope: TenantScope,
    profiles: readonly StoredProfileInput[],
  ): { created: number; updated: number };
  /**
   * Copies the write-ahead log into the database as far as no reader holds it back (PASSIVE).
   * Called between the slices of a large load, so no single commit inherits a checkpoint of
   * thousands of pages (SQLite's automatic one, at 1,000 pages, cost a commit up to ~100 ms).
   */
  checkpoint(): void;
  /** Deletes up to `limit` of the tenant's profiles; answers how many went (0: none left). */
  deleteProfileSlice(scope: TenantScope, limit: number): number;
  countProfiles(scope: TenantScope): number;
  /** A page of the tenant's profiles in insertion order, after `afterRowId` (keyset paging). */
  readProfiles(scope: TenantScope, afterRowId: number, limit: number): StoredProfileRow[];

  /** Members of the definition's last successful run; undefined when it never ran. */
  getMembership(scope: TenantScope, definitionId: string): string[] | undefined;
  /**
   * Stages a run's members (a JSON array of identity keys) apart from the current ones, so a
   * large membership is written in its own transaction, before the job finishes.
   */
  saveMembershipDraft(
    scope: TenantScope,
    definitionId: string,
    jobId: string,
    membersJson: string,
    nowMs: number,
  ): void;
  /** Drops what a job staged and never promoted (it failed, was cancelled or stopped). */
  discardMembershipDrafts(jobId: string): void;

  close(): void;
}

interface JobRow {
  org_id: string;
  sandbox_name: string;
  definition_ids: string | null;
  doc: string;
}

function statusRank(status: SegmentJobStatus): number {
  return SEGMENT_JOB_STATUSES.indexOf(status);
}

function toJobRecord(row: JobRow): JobRecord {
  return {
    scope: { orgId: row.org_id, sandboxName: row.sandbox_name },
    doc: JSON.parse(row.doc) as JobDocument,
    definitionIds:
      row.definition_ids === null ? null : (JSON.parse(row.definition_ids) as string[]),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

const JOB_SORT_COLUMNS = {
  creationTime: 'creation_time',
  updateTime: 'update_time',
  status: 'status_rank',
} as const;

const DEFINITION_SORT_COLUMNS = {
  name: 'name',
  internalId: 'id',
  creationTime: 'creation_time',
  updateTime: 'update_time',
} as const;

// SQLite's bound-parameter limit is far above this; chunks keep each statement small.
const IN_LIST_CHUNK = 500;

export interface StoreOptions {
  /** Directory of the database file; created when missing. */
  dataDir: string;
}

export function createStore(options: StoreOptions): SegmentationStore {
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const scoped = (scope: TenantScope) => [scope.orgId, scope.sandboxName] as const;

  const statements = {
    getMergePolicy: db.prepare<[string, string, string], Record<string, unknown>>(
      'SELECT id, name, version, is_default FROM merge_policies WHERE org_id = ? AND sandbox_name = ? AND id = ?',
    ),
    insertMergePolicy: db.prepare(
      'INSERT OR IGNORE INTO merge_policies (org_id, sandbox_name, id, name, version, is_default, creation_time) VALUES (?, ?, ?, ?, 1, ?, ?)',
    ),
    insertDefinition: db.prepare(
      'INSERT INTO definitions (id, org_id, sandbox_name, name, creation_time, update_time, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    updateDefinition: db.prepare(
      'UPDATE definitions SET name = ?, update_time = ?, doc = ? WHERE org_id = ? AND sandbox_name = ? AND id = ?',
    ),
    getDefinition: db.prepare<[string, string, string], { doc: string }>(
      'SELECT doc FROM definitions WHERE org_id = ? AND sandbox_name = ? AND id = ?',
    ),
    allDefinitions: db.prepare<[string, string], { doc: string }>(
      'SELECT doc FROM definitions WHERE org_id = ? AND sandbox_name = ? ORDER BY creation_time, id',
    ),
    countDefinitions: db.prepare<[string, string], { count: number }>(
      'SELECT count(*) AS count FROM definitions WHERE org_id = ? AND sandbox_name = ?',
    ),
    deleteDefinition: db.prepare(
      'DELETE FROM definitions WHERE org_id = ? AND sandbox_name = ? AND id = ?',
    ),
    deleteMemberships: db.prepare(
      'DELETE FROM memberships WHERE org_id = ? AND sandbox_name = ? AND definition_id = ?',
    ),
    deleteMembershipHead: db.prepare(
      'DELETE FROM membership_heads WHERE org_id = ? AND sandbox_name = ? AND definition_id = ?',
    ),
    nextComputeJobId: db.prepare<[], { value: number }>(
      "UPDATE counters SET value = value + 1 WHERE name = 'computeJobId' RETURNING value",
    ),
    insertJob: db.prepare(
      'INSERT INTO jobs (id, org_id, sandbox_name, status, status_rank, creation_time, update_time, definition_ids, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    countActiveJobs: db.prepare<[string, string], { count: number }>(
      `SELECT count(*) AS count FROM jobs WHERE org_id = ? AND sandbox_name = ? AND status IN (${UNFINISHED_STATUSES.map((s) => `'${s}'`).join(', ')})`,
    ),
    getJob: db.prepare<[string, string, string], JobRow>(
      'SELECT org_id, sandbox_name, definition_ids, doc FROM jobs WHERE org_id = ? AND sandbox_name = ? AND id = ?',
    ),
    getJobById: db.prepare<[string], JobRow>(
      'SELECT org_id, sandbox_name, definition_ids, doc FROM jobs WHERE id = ?',
    ),
    updateJob: db.prepare(
      'UPDATE jobs SET status = ?, status_rank = ?, update_time = ?, doc = ? WHERE id = ?',
    ),
    updateProcessingJob: db.prepare(
      "UPDATE jobs SET status = ?, status_rank = ?, update_time = ?, doc = ? WHERE id = ? AND status = 'PROCESSING'",
    ),
    deleteJob: db.prepare('DELETE FROM jobs WHERE org_id = ? AND sandbox_name = ? AND id = ?'),
    unfinishedJobs: db.prepare<[], JobRow>(
      `SELECT org_id, sandbox_name, definition_ids, doc FROM jobs WHERE status IN (${UNFINISHED_STATUSES.map((s) => `'${s}'`).join(', ')}) ORDER BY creation_time, id`,
    ),
    upsertProfile: db.prepare(
      'INSERT INTO profiles (org_id, sandbox_name, identity, doc) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, sandbox_name, identity) DO UPDATE SET doc = excluded.doc',
    ),
    deleteProfiles: db.prepare('DELETE FROM profiles WHERE org_id = ? AND sandbox_name = ?'),
    insertNewProfile: db.prepare(
      'INSERT INTO profiles (org_id, sandbox_name, identity, doc) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, sandbox_name, identity) DO NOTHING',
    ),
    updateProfile: db.prepare(
      'UPDATE profiles SET doc = ? WHERE org_id = ? AND sandbox_name = ? AND identity = ?',
    ),
    deleteProfileSlice: db.prepare(
      'DELETE FROM profiles WHERE row_id IN (SELECT row_id FROM profiles WHERE org_id = ? AND sandbox_name = ? LIMIT ?)',
    ),
    countProfiles: db.prepare<[string, string], { count: number }>(
      'SELECT count(*) AS count FROM profiles WHERE org_id = ? AND sandbox_name = ?',
    ),
    readProfiles: db.prepare<
      [string, string, number, number],
      { row_id: number; identity: string; doc: string }
    >(
      'SELECT row_id, identity, doc FROM profiles WHERE org_id = ? AND sandbox_name = ? AND row_id > ? ORDER BY row_id LIMIT ?',
    ),
    getMembership: db.prepare<[string, string, string], { members: string }>(
      'SELECT m.members FROM membership_heads h JOIN memberships m ON m.org_id = h.org_id AND m.sandbox_name = h.sandbox_name AND m.definition_id = h.definition_id AND m.job_id = h.job_id WHERE h.org_id = ? AND h.sandbox_name = ? AND h.definition_id = ?',
    ),
    saveMembershipDraft: db.prepare(
      'INSERT OR REPLACE INTO memberships (org_id, sandbox_name, definition_id, job_id, members, update_time) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getMembershipHead: db.prepare<[string, string, string], { job_id: string }>(
      'SELECT job_id FROM membership_heads WHERE org_id = ? AND sandbox_name = ? AND definition_id = ?',
    ),
    setMembershipHead: db.prepare(
      'INSERT OR REPLACE INTO membership_heads (org_id, sandbox_name, definition_id, job_id) VALUES (?, ?, ?, ?)',
    ),
    hasMembershipRun: db.prepare<[string, string, string, string], { found: number }>(
      'SELECT 1 AS found FROM memberships WHERE org_id = ? AND sandbox_name = ? AND definition_id = ? AND job_id = ?',
    ),
    deleteMembershipRun: db.prepare(
      'DELETE FROM memberships WHERE org_id = ? AND sandbox_name = ? AND definition_id = ? AND job_id = ?',
    ),
    discardDrafts: db.prepare(
      'DELETE FROM memberships WHERE job_id = ? AND NOT EXISTS (SELECT 1 FROM membership_heads h WHERE h.org_id = memberships.org_id AND h.sandbox_name = memberships.sandbox_name AND h.definition_id = memberships.definition_id AND h.job_id = memberships.job_id)',
    ),
    discardAllDrafts: db.prepare(
      'DELETE FROM memberships WHERE NOT EXISTS (SELECT 1 FROM membership_heads h WHERE h.org_id = memberships.org_id AND h.sandbox_name = memberships.sandbox_name AND h.definition_id = memberships.definition_id AND h.job_id = memberships.job_id)',
    ),
  };

  // Statements whose ORDER BY varies are built from whitelisted columns and cached.
  const dynamicStatements = new Map<string, Database.Statement>();
  function dynamic(sql: string): Database.Statement {
    let statement = dynamicStatements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      dynamicStatements.set(sql, statement);
    }
    return statement;
  }

  function toMergePolicy(row: Record<string, unknown>): MergePolicyRecord {
    return {
      id: String(row.id),
      name: String(row.name),
      version: Number(row.version),
      isDefault: row.is_default === 1,
    };
  }

  function defaultMergePolicy(scope: TenantScope): MergePolicyRecord {
    const id = defaultMergePolicyId(scope);
    statements.insertMergePolicy.run(...scoped(scope), id, 'Default Timebased', 1, Date.now());
    const row = statements.getMergePolicy.get(...scoped(scope), id);
    if (row === undefined) throw new Error(`expected the default merge policy ${id} to exist`);
    return toMergePolicy(row);
  }

  function getMergePolicy(scope: TenantScope, id: string): MergePolicyRecord | undefined {
    if (id === defaultMergePolicyId(scope)) return defaultMergePolicy(scope);
    const row = statements.getMergePolicy.get(...scoped(scope), id);
    return row === undefined ? undefined : toMergePolicy(row);
  }

  function insertDefinition(scope: TenantScope, doc: DefinitionDocument): 'created' | 'name-taken' {
    try {
      statements.insertDefinition.run(
        doc.id,
        ...scoped(scope),
        doc.name,
        doc.creationTime,
        doc.updateTime,
        JSON.stringify(doc),
      );
      return 'created';
    } catch (error) {
      if (isUniqueViolation(error)) return 'name-taken';
      throw error;
    }
  }

  function replaceDefinition(
    scope: TenantScope,
    doc: DefinitionDocument,
  ): 'updated' | 'name-taken' | 'missing' {
    try {
      const result = statements.updateDefinition.run(
        doc.name,
        doc.updateTime,
        JSON.stringify(doc),
        ...scoped(scope),
        doc.id,
      );
      return result.changes === 1 ? 'updated' : 'missing';
    } catch (error) {
      if (isUniqueViolation(error)) return 'name-taken';
      throw error;
    }
  }

  function getDefinition(scope: TenantScope, id: string): DefinitionDocument | undefined {
    const row = statements.getDefinition.get(...scoped(scope), id);
    return row === undefined ? undefined : (JSON.parse(row.doc) as DefinitionDocument);
  }

  function getDefinitions(
    scope: TenantScope,
    ids: readonly string[],
  ): Map<string, DefinitionDocument> {
    const found = new Map<string, DefinitionDocument>();
    const unique = [...new Set(ids)];
    for (let offset = 0; offset < unique.length; offset += IN_LIST_CHUNK) {
      const chunk = unique.slice(offset, offset + IN_LIST_CHUNK);
      const rows = dynamic(
        `SELECT doc FROM definitions WHERE org_id = ? AND sandbox_name = ? AND id IN (${chunk.map(() => '?').join(', ')})`,
      ).all(...scoped(scope), ...chunk) as { doc: string }[];
      for (const row of rows) {
        const doc = JSON.parse(row.doc) as DefinitionDocument;
        found.set(doc.id, doc);
      }
    }
    return found;
  }

  function allDefinitions(scope: TenantScope): DefinitionDocument[] {
    return statements.allDefinitions
      .all(...scoped(scope))
      .map((row) => JSON.parse(row.doc) as DefinitionDocument);
  }

  function countDefinitions(scope: TenantScope): number {
    return statements.countDefinitions.get(...scoped(scope))?.count ?? 0;
  }

  function listDefinitions(
    scope: TenantScope,
    query: DefinitionListQuery,
  ): { totalCount: number; definitions: DefinitionDocument[] } {
    const order = query.sort.map(
      (key) => `${DEFINITION_SORT_COLUMNS[key.field]} ${key.direction === 'asc' ? 'ASC' : 'DESC'}`,
    );
    // Ties end at the id, so pages are stable (unless the keys already name it).
    if (!query.sort.some((key) => key.field === 'internalId')) order.push('id ASC');
    const rows = dynamic(
      `SELECT doc FROM definitions WHERE org_id = ? AND sandbox_name = ? ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    ).all(...scoped(scope), query.limit, query.start) as { doc: string }[];
    return {
      totalCount: countDefinitions(scope),
      definitions: rows.map((row) => JSON.parse(row.doc) as DefinitionDocument),
    };
  }

  const deleteDefinition = db.transaction((scope: TenantScope, id: string): boolean => {
    const result = statements.deleteDefinition.run(...scoped(scope), id);
    statements.deleteMemberships.run(...scoped(scope), id);
    statements.deleteMembershipHead.run(...scoped(scope), id);
    return result.changes === 1;
  });

  function nextComputeJobId(): number {
    const row = statements.nextComputeJobId.get();
    if (row === undefined) throw new Error('expected the computeJobId counter to exist');
    return row.value;
  }

  function countActiveJobs(scope: TenantScope): number {
    return statements.countActiveJobs.get(...scoped(scope))?.count ?? 0;
  }

  const insertJob = db.transaction((record: JobRecord, maxActiveJobs: number): boolean => {
    if (countActiveJobs(record.scope) >= maxActiveJobs) return false;
    const { doc } = record;
    statements.insertJob.run(
      doc.id,
      ...scoped(record.scope),
      doc.status,
      statusRank(doc.status),
      doc.creationTime,
      doc.updateTime,
      record.definitionIds === null ? null : JSON.stringify(record.definitionIds),
      JSON.stringify(doc),
    );
    return true;
  });

  function getJob(scope: TenantScope, id: string): JobRecord | undefined {
    const row = statements.getJob.get(...scoped(scope), id);
    return row === undefined ? undefined : toJobRecord(row);
  }

  function getJobById(id: string): JobRecord | undefined {
    const row = statements.getJobById.get(id);
    return row === undefined ? undefined : toJobRecord(row);
  }

  function updateJob(doc: JobDocument): boolean {
    const result = statements.updateJob.run(
      doc.status,
      statusRank(doc.status),
      doc.updateTime,
      JSON.stringify(doc),
      doc.id,
    );
    return result.changes === 1;
  }

  const finishJob = db.transaction(
    (scope: TenantScope, doc: JobDocument, definitionIds: readonly string[]): boolean => {
      const result = statements.updateProcessingJob.run(
        doc.status,
        statusRank(doc.status),
        doc.updateTime,
        JSON.stringify(doc),
        doc.id,
      );
      if (result.changes !== 1) {
        statements.discardDrafts.run(doc.id);
        return false;
      }
      for (const definitionId of definitionIds) {
        if (statements.hasMembershipRun.get(...scoped(scope), definitionId, doc.id) === undefined) {
          continue;
        }
        const previous = statements.getMembershipHead.get(...scoped(scope), definitionId);
        statements.setMembershipHead.run(...scoped(scope), definitionId, doc.id);
        if (previous !== undefined && previous.job_id !== doc.id) {
          statements.deleteMembershipRun.run(...scoped(scope), definitionId, previous.job_id);
        }
      }
      statements.discardDrafts.run(doc.id);
      return true;
    },
  );

  function deleteJob(scope: TenantScope, id: string): boolean {
    return statements.deleteJob.run(...scoped(scope), id).changes === 1;
  }

  function listJobs(
    scope: TenantScope,
    query: JobListQuery,
  ): { totalCount: number; jobs: JobDocument[] } {
    const column = JOB_SORT_COLUMNS[query.sort.field];
    const direction = query.sort.direction === 'asc' ? 'ASC' : 'DESC';
    const where = `org_id = ? AND sandbox_name = ?${query.status === undefined ? '' : ' AND status = ?'}`;
    const params: unknown[] = [...scoped(scope)];
    if (query.status !== undefined) params.push(query.status);
    const order = `ORDER BY ${column} ${direction}, id ASC`;

    if (query.properties.length === 0) {
      const count = dynamic(`SELECT count(*) AS count FROM jobs WHERE ${where}`).get(...params) as {
        count: number;
      };
      const rows = dynamic(`SELECT doc FROM jobs WHERE ${where} ${order} LIMIT ? OFFSET ?`).all(
        ...params,
        query.limit,
        query.start,
      ) as { doc: string }[];
      return {
        totalCount: count.count,
        jobs: rows.map((row) => JSON.parse(row.doc) as JobDocument),
      };
    }

    // Property filters look inside the document, so they run here over the SQL-ordered rows.
    let totalCount = 0;
    const jobs: JobDocument[] = [];
    const rows = dynamic(`SELECT doc FROM jobs WHERE ${where} ${order}`).iterate(
      ...params,
    ) as IterableIterator<{ doc: string }>;
    for (const row of rows) {
      const doc = JSON.parse(row.doc) as JobDocument;
      if (!query.properties.every((filter) => matchesProperty(doc, filter))) continue;
      if (totalCount >= query.start && jobs.length < query.limit) jobs.push(doc);
      totalCount += 1;
    }
    return { totalCount, jobs };
  }

  function unfinishedJobs(): JobRecord[] {
    return statements.unfinishedJobs.all().map(toJobRecord);
  }

  function countProfiles(scope: TenantScope): number {
    return statements.countProfiles.get(...scoped(scope))?.count ?? 0;
  }

  const saveProfiles = db.transaction(
    (
      scope: TenantScope,
      profiles: readonly StoredProfileInput[],
      replace: boolean,
    ): ProfileWriteResult => {
      const deleted = replace ? statements.deleteProfiles.run(...scoped(scope)).changes : 0;
      const before = countProfiles(scope);
      for (const profile of profiles) {
        statements.upsertProfile.run(...scoped(scope), profile.identity, profile.doc);
      }
      const totalProfiles = countProfiles(scope);
      const created = totalProfiles - before;
      return { created, updated: profiles.length - created, deleted, totalProfiles };
    },
  );

  const writeProfileSlice = db.transaction(
    (scope: TenantScope, profiles: readonly StoredProfileInput[]) => {
      let created = 0;
      for (const profile of profiles) {
        const inserted = statements.insertNewProfile.run(
          ...scoped(scope),
          profile.identity,
          profile.doc,
        ).changes;
        if (inserted === 1) created += 1;
        else statements.updateProfile.run(profile.doc, ...scoped(scope), profile.identity);
      }
      return { created, updated: profiles.length - created };
    },
  );

  function readProfiles(scope: TenantScope, afterRowId: number, limit: number): StoredProfileRow[] {
    return statements.readProfiles
      .all(...scoped(scope), afterRowId, limit)
      .map((row) => ({ rowId: row.row_id, identity: row.identity, doc: row.doc }));
  }

  function getMembership(scope: TenantScope, definitionId: string): string[] | undefined {
    const row = statements.getMembership.get(...scoped(scope), definitionId);
    return row === undefined ? undefined : (JSON.parse(row.members) as string[]);
  }

  function saveMembershipDraft(
    scope: TenantScope,
    definitionId: string,
    jobId: string,
    membersJson: string,
    nowMs: number,
  ): void {
    statements.saveMembershipDraft.run(...scoped(scope), definitionId, jobId, membersJson, nowMs);
  }

  // Every evaluation of a previous process starts over, so its drafts are of no use.
  statements.discardAllDrafts.run();

  return {
    defaultMergePolicy,
    getMergePolicy,
    insertDefinition,
    replaceDefinition,
    getDefinition,
    getDefinitions,
    allDefinitions,
    listDefinitions,
    countDefinitions,
    deleteDefinition: (scope, id) => deleteDefinition(scope, id),
    nextComputeJobId,
    insertJob: (record, maxActiveJobs) => insertJob(record, maxActiveJobs),
    getJob,
    getJobById,
    updateJob,
    finishJob: (scope, doc, definitionIds) => finishJob(scope, doc, definitionIds),
    deleteJob,
    listJobs,
    countActiveJobs,
    unfinishedJobs,
    saveProfiles: (scope, profiles, replace) => saveProfiles(scope, profiles, replace),
    writeProfileSlice: (scope, profiles) => writeProfileSlice(scope, profiles),
    deleteProfileSlice: (scope, limit) =>
      statements.deleteProfileSlice.run(...scoped(scope), limit).changes,
    countProfiles,
    readProfiles,
    getMembership,
    saveMembershipDraft,
    discardMembershipDrafts: (jobId) => {
      statements.discardDrafts.run(jobId);
    },
    checkpoint: () => {
      db.pragma('wal_checkpoint(PASSIVE)');
    },
    close: () => db.close(),
  };
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true });
  if (version === SCHEMA_VERSION) return;
  if (version !== 0) {
    throw new Error(
      `expected database schema version ${SCHEMA_VERSION} (or an empty database), but got ${String(version)}`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
