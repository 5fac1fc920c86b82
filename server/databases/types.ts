// What lubes-server needs from a project's databases, whichever engine holds them.

/** One branch of one project: each is its own database. */
export interface BranchRef {
  projectId: string;
  branchId: string;
}

export interface QueryLimits {
  /** A statement running longer is cut off (the worker is terminated, or the backend cancelled). */
  timeoutMs: number;
  maxRows: number;
  /** JSON size of the rows. */
  maxBytes: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { timeoutMs: 10_000, maxRows: 10_000, maxBytes: 10 * 1024 * 1024 };

/** A migration may run six times as long as a query; past it, it is cancelled (and rolled back). */
export const migrationTimeoutMs = (limits: QueryLimits): number => limits.timeoutMs * 6;

export interface QueryOutcome {
  rows: Record<string, unknown>[];
  row_count: number;
  execution_time_ms: number;
  fields: { name: string; type: string }[];
}

/** A statement Postgres refused: syntax, constraint, permission… */
export class SqlError extends Error {
  constructor(
    readonly sqlstate: string | null,
    message: string,
    readonly position: number | null = null,
    readonly detail: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Query ran longer than ${timeoutMs} ms and was cancelled`);
  }
}

export class ResultTooLargeError extends Error {
  constructor(readonly limit: "rows" | "bytes", readonly max: number) {
    super(`Result has more than ${max} ${limit}; add a LIMIT or select fewer columns`);
  }
}

/**
 * The engine cannot serve the branch: its files cannot be opened (`damaged`: waiting will not help) or the database
 * server cannot be reached. Never a 500: the message says why.
 */
export class DatabaseUnavailableError extends Error {
  constructor(readonly reason: string, readonly damaged: boolean) {
    super(damaged
      ? `The branch's database cannot be opened (${reason}): it was damaged or removed outside lubes-server. Delete the branch, or restore its database from a backup`
      : `The branch's database cannot be reached (${reason}); retry shortly`);
  }
}

export interface ProjectDatabases {
  readonly engine: "pglite" | "postgres";
  /** Makes the empty database of a new project's default branch (or defers it to the first use). */
  createDefaultBranch(ref: BranchRef): Promise<void>;
  /** Makes `child` a full copy of `parent` at this moment; they are independent afterwards. */
  createBranch(parent: BranchRef, child: BranchRef): Promise<void>;
  dropBranch(ref: BranchRef): Promise<void>;
  /** Drops every branch database of the project, and its role where there is one. */
  dropProject(projectId: string, branchIds: readonly string[]): Promise<void>;
  /** Runs SQL: with params as one statement, without as a script whose last statement answers. */
  query(ref: BranchRef, sql: string, params: readonly unknown[] | undefined, options?: { trusted?: boolean }): Promise<QueryOutcome>;
  /** Runs a script in one transaction: all of it stays, or none of it. */
  migrate(ref: BranchRef, sql: string): Promise<void>;
  close(): Promise<void>;
}
