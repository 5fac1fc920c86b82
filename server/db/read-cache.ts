// Control-plane rows that nearly every request reads (the credential, the caller's membership, the project), kept in
// memory while the embedded database belongs to this process alone (its data dir is locked). Every write through the
// control-plane handle empties the cache, so nothing served from it is older than the last write: a revoked key or a
// removed member is refused at once. On shared PostgreSQL other processes write too, so nothing is kept.
import type { Queryable, Sql } from "./sql";

/** Past this many entries the cache starts over: a bound on memory, not a policy. */
const MAX_ENTRIES = 10_000;

export class ReadCache {
  /** Bumped by every write: an entry loaded before a write began is never stored after it. */
  private generation = 0;
  private readonly entries = new Map<string, unknown>();

  constructor(readonly enabled: boolean) {}

  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** The cached value of `key`, or `load()`'s (kept unless a write happened meanwhile). Failures are not kept. */
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}

/** A plain SELECT changes nothing; anything else (or a locking SELECT) may. */
const readsOnly = (text: string): boolean => /^\s*SELECT\b/i.test(text) && !/\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b/i.test(text);

/** `sql` whose every write, and every transaction, empties `cache` before it starts and after it ends. */
export function invalidatingWrites(sql: Sql, cache: ReadCache): Sql {
  const around = async <T>(work: () => Promise<T>): Promise<T> => {
    cache.invalidate();
    try {
      return await work();
    } finally {
      cache.invalidate();
    }
  };
  return {
    engine: sql.engine,
    query: <T>(text: string, params?: readonly unknown[]) => (readsOnly(text) ? sql.query<T>(text, params) : around(() => sql.query<T>(text, params))),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => around(() => sql.transaction(fn)),
    close: () => sql.close(),
  };
}
