// Embedded project databases: one PGlite data directory per branch, each opened lazily in its own worker thread,
// a bounded number open at once, closed when idle. A new database is a copy of the machine's template
// (db/pglite-template.ts); a branch is a directory copy of its parent after a CHECKPOINT.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { copyTemplate, pgliteTemplate } from "../db/pglite-template";
import { retireWorker, startWorker } from "../workers";
import type { WorkerRequest, WorkerResponse } from "./pglite-worker";
import { DatabaseUnavailableError, QueryTimeoutError, ResultTooLargeError, SqlError, migrationTimeoutMs, type BranchRef, type ProjectDatabases, type QueryLimits, type QueryOutcome } from "./types";

type Payload = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;

interface OpenBranch {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>;
  lastUsed: number;
  /** Set when the worker has exited: a message posted to it would never be answered. */
  exited?: Error;
}

export interface PgliteEngineOptions {
  root: string;
  limits: QueryLimits;
  /** How many branch databases may be open at once; the least recently used idle one is closed to make room. */
  maxOpen: number;
  idleMs: number;
}


export class PgliteDatabases implements ProjectDatabases {
  readonly engine = "pglite";
  private readonly open = new Map<string, OpenBranch>();
  /** One operation at a time per branch: queries, checkpoints, copies and drops take turns. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private nextId = 1;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly options: PgliteEngineOptions) {
    this.sweep = setInterval(() => void this.closeIdle(), Math.max(1000, Math.min(options.idleMs, 10_000)));
    this.sweep.unref();
  }

  private dir(ref: BranchRef): string {
    return path.join(this.options.root, ref.projectId, ref.branchId);
  }

  private serialized<T>(ref: BranchRef, fn: () => Promise<T>): Promise<T> {
    const key = this.dir(ref);
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }

  /** An empty, initialised data directory: new databases are copies of it (0.1 s, not initdb's 3 s). */
  private ensureTemplate(): Promise<string> {
    return pgliteTemplate(path.join(this.options.root, "_template"));
  }

  private spawn(dataDir: string): OpenBranch {
    const worker = startWorker("databases/pglite-worker", { workerData: { dataDir } });
    const branch: OpenBranch = { worker, pending: new Map(), lastUsed: Date.now(), ready: Promise.resolve() };
    branch.ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (message: WorkerResponse | { ready: true } | { fatal: string }) => {
        if ("ready" in message) return resolve();
        if ("fatal" in message) return reject(new DatabaseUnavailableError(message.fatal, true));
        const waiter = branch.pending.get(message.id);
        branch.pending.delete(message.id);
        waiter?.resolve(message);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => {
        const error = new Error(`database worker exited (code ${code})`);
        branch.exited = error;
        reject(error);
        for (const waiter of branch.pending.values()) waiter.reject(error);
        branch.pending.clear();
      });
    });
    return branch;
  }

  private post(branch: OpenBranch, payload: Payload): Promise<WorkerResponse> {
    const id = this.nextId++;
    branch.lastUsed = Date.now();
    return new Promise((resolve, reject) => {
      if (branch.exited) return reject(branch.exited);
      branch.pending.set(id, { resolve, reject });
      branch.worker.postMessage({ ...payload, id });
    });
  }

  private async acquire(ref: BranchRef): Promise<OpenBranch> {
    const key = this.dir(ref);
    const existing = this.open.get(key);
    if (existing) return existing;
    if (!existsSync(key)) await copyTemplate(await this.ensureTemplate(), key);
    await this.makeRoom();
    const branch = this.spawn(key);
    this.open.set(key, branch);
    try {
      await branch.ready;
    } catch (error) {
      this.open.delete(key);
      await branch.worker.terminate();
      throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error instanceof Error ? error.message : String(error), false);
    }
    return branch;
  }

  private async closeBranch(key: string, graceful: boolean): Promise<void> {
    const branch = this.open.get(key);
    if (!branch) return;
    this.open.delete(key);
    if (!graceful) return void (await branch.worker.terminate());
    const closed = await this.post(branch, { kind: "close" }).catch(() => undefined);
    await (closed?.ok ? retireWorker(branch.worker) : branch.worker.terminate());
  }

  /**
   * Closes the least recently used idle databases beyond the limit. A database with work queued or running (its lock
   * is held: it may be starting, or between two messages) is never idle: closing it under that work hung the work.
   */
  private async makeRoom(): Promise<void> {
    while (this.open.size >= this.options.maxOpen) {
      const idle = [...this.open.entries()].filter(([key, b]) => b.pending.size === 0 && !this.locks.has(key)).sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0];
      if (!idle) return; // every open database is busy: exceed the limit briefly rather than fail
      await this.closeBranch(idle[0], true);
    }
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.idleMs;
    for (const [key, branch] of [...this.open.entries()]) {
      if (branch.lastUsed < cutoff && branch.pending.size === 0 && !this.locks.has(key)) await this.closeBranch(key, true);
    }
  }

  /** Sends one request; past the timeout the worker is terminated, which is the only way to stop PGlite mid-query. */
  private async request(ref: BranchRef, payload: Payload, timeoutMs: number | null): Promise<unknown> {
    return this.serialized(ref, async () => {
      const branch = await this.acquire(ref);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        if (timeoutMs === null) return;
        timer = setTimeout(() => {
          void this.closeBranch(this.dir(ref), false);
          reject(new QueryTimeoutError(timeoutMs));
        }, timeoutMs);
      });
      try {
        const response = await Promise.race([this.post(branch, payload), timedOut]);
        if (response.broken) await this.closeBranch(this.dir(ref), false);
        if (response.ok) return response.result;
        const error = response.error;
        if (error.kind === "too_large") throw new ResultTooLargeError(error.limit, error.max);
        throw new SqlError(error.sqlstate, error.message, error.position, error.detail, error.hint);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  createDefaultBranch(): Promise<void> {
    // Made on first use from the template: a project that never queries costs no disk.
    return Promise.resolve();
  }

  async createBranch(parent: BranchRef, child: BranchRef): Promise<void> {
    await this.serialized(parent, async () => {
      const from = this.dir(parent);
      const branch = this.open.get(from);
      if (branch) {
        const response = await this.post(branch, { kind: "checkpoint" });
        if (!response.ok) throw new Error("checkpoint failed before branching");
      }
      await copyTemplate(existsSync(from) ? from : await this.ensureTemplate(), this.dir(child));
    });
  }

  async dropBranch(ref: BranchRef): Promise<void> {
    await this.serialized(ref, async () => {
      await this.closeBranch(this.dir(ref), false);
      await rm(this.dir(ref), { recursive: true, force: true });
    });
  }

  async dropProject(projectId: string, branchIds: readonly string[]): Promise<void> {
    for (const branchId of branchIds) await this.dropBranch({ projectId, branchId });
    await rm(path.join(this.options.root, projectId), { recursive: true, force: true });
  }

  async query(ref: BranchRef, sql: string, params: readonly unknown[] | undefined, options: { trusted?: boolean } = {}): Promise<QueryOutcome> {
    const { limits } = this.options;
    const payload: Payload = { kind: "query", sql, params: params ? [...params] : undefined, maxRows: options.trusted ? null : limits.maxRows, maxBytes: options.trusted ? null : limits.maxBytes };
    return (await this.request(ref, payload, limits.timeoutMs)) as QueryOutcome;
  }

  async migrate(ref: BranchRef, sql: string): Promise<void> {
    await this.request(ref, { kind: "migrate", sql }, migrationTimeoutMs(this.options.limits));
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.all([...this.open.keys()].map((key) => this.closeBranch(key, true)));
  }
}
