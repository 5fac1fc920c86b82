// Which lubes-server processes sharing one PostgreSQL still run. Each process holds, on a connection of its own, a
// session advisory lock keyed by its instance number; PostgreSQL drops the lock the moment that connection ends (the
// process killed, its host gone). Work a process claims (an Idempotency-Key in flight, a migration applying or
// reverting, a build) records that number as its owner, and another process takes the work over as soon as the
// owner's lock is gone, instead of waiting for the claim's lease to run out. The embedded engine has one process,
// and its start-up releases what a dead one left (services/recovery.ts): no owner is recorded there.
//
// The lock needs a session of its own: a transaction-pooling proxy (PgBouncer's `transaction` mode) in front of
// PostgreSQL would show the lock as dropped while the process runs. LUBES_DATABASE_URL must reach PostgreSQL directly
// or through session pooling (README).
import { randomInt } from "node:crypto";
import pg from "pg";

/** The first key of every liveness lock; the second is the instance number. */
const LOCK_CLASS = 7478237;
const RECONNECT_MS = 1_000;

/**
 * SQL that is true when the process that claimed a row (its `column`, an instance number) no longer runs. A row
 * with no owner (claimed on the embedded engine, or before owners were recorded) waits for its lease.
 */
export const ownerGone = (column: string): string => `(${column} IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${LOCK_CLASS} AND l.objsubid = 2
     AND l.objid = ${column}::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))`;

export class Liveness {
  private client: pg.Client | undefined;
  private closed = false;

  private constructor(
    /** This process's number, recorded as the owner of what it claims. */
    readonly instance: number,
    private readonly connectionString: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Takes this process's lock; fails the start if PostgreSQL cannot be reached. */
  static async start(connectionString: string, warn: (message: string) => void): Promise<Liveness> {
    const liveness = new Liveness(randomInt(1, 2 ** 31 - 1), connectionString, warn);
    await liveness.lock();
    return liveness;
  }

  private async lock(): Promise<void> {
    // Keepalives: a connection that dies silently (a half-open link) is noticed, so the lock is taken again.
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on("error", () => undefined);
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query("SELECT pg_advisory_lock($1, $2)", [LOCK_CLASS, this.instance]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Closed while this reconnected: the new lock must not outlive the process's end.
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.client = client;
  }

  /**
   * The lock's connection ended while this process runs (PostgreSQL restarted, the connection was cut): until it is
   * taken again, other processes may take over this one's claims, so it is taken again at once, and said.
   */
  private lost(client: pg.Client): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    this.warn("lost the PostgreSQL connection that marks this process alive: other processes may take over its work in progress; reconnecting");
    const retry = (): void => {
      if (this.closed) return;
      this.lock().catch(() => setTimeout(retry, RECONNECT_MS).unref());
    };
    retry();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
