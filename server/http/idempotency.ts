// Idempotency-Key on POST, with Stripe's semantics: the first response is kept 24 h and replayed for a retry with the
// same key and body; the same key with another body is 422; a retry while the first is still running is 409.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context";
import { ownerGone } from "../db/liveness";
import { ApiError, badRequest, conflict } from "../errors";
import { hmac, seal, sha256, unseal } from "../services/crypto";

const RETENTION_MS = 24 * 3600 * 1000;
/**
 * A claim is held for as long as the process that made it lives, however long its request runs: taking over a request
 * still running would run its work twice. It is released when that process is gone: on shared PostgreSQL as soon as
 * its liveness lock is (db/liveness.ts), on the embedded engine at the next start (services/recovery.ts expires every
 * claim). A record with no owner (made before owners were recorded) keeps the lease it was given.
 */
const HELD = "infinity";

export interface IdempotencyClaim {
  scopeHash: string;
  sealKey: Buffer;
  /**
   * True when this request takes over the claim of an earlier attempt that never answered (its process died, or its
   * lease ran out): that attempt may have committed its write before it stopped, so a create first looks for the row
   * it wrote (`ownEarlierWrite`) instead of answering a conflict or making a second one.
   */
  rerun: boolean;
  /** What the request's creates store with their rows (writeKeyOf): this claim's scope and when it was first made. */
  writeKey: string;
}

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The request's Idempotency-Key, checked: 1 to 255 printable ASCII characters (400 otherwise). */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers["idempotency-key"];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.length < 1 || raw.length > 255 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 255 printable ASCII characters", { field: "Idempotency-Key", constraint: "format" });
  }
  return raw;
}

/**
 * Claims the key for this request, or answers it from the stored response. Returns the claim when the handler
 * should run, or undefined when the reply has been sent.
 */
export async function claimIdempotencyKey(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, bucket: string): Promise<IdempotencyClaim | undefined | "absent"> {
  const raw = idempotencyKeyOf(request);
  if (raw === undefined) return "absent";
  const scope = `${bucket}\n${request.method} ${request.url}\n${raw}`;
  const scopeHash = sha256(scope);
  const requestHash = sha256(canonicalJson(request.body ?? null));
  const sealKey = hmac(ctx.keys.idempotency.toString("base64"), scope);
  const now = ctx.options.now();

  // Keyed by when the claim was first made too: the same key reused once its record has expired marks other rows.
  const claimOf = (rerun: boolean, createdAt: Date): IdempotencyClaim => ({ scopeHash, sealKey, rerun, writeKey: sha256(`${scopeHash}\n${new Date(createdAt).toISOString()}`) });
  const takenOver = await ctx.sql.query<{ created_at: Date }>(
    `UPDATE idempotency_records SET locked_until = $3, owner = $5
      WHERE scope_hash = $1 AND request_hash = $2 AND state = 'in_flight' AND ((owner IS NULL AND locked_until < $4) OR ${ownerGone("owner")})
      RETURNING created_at`,
    [scopeHash, requestHash, HELD, now, ctx.instance],
  );
  if (takenOver.rows[0]) return claimOf(true, takenOver.rows[0].created_at);
  const inserted = await ctx.sql.query<{ created_at: Date }>(
    `INSERT INTO idempotency_records (scope_hash, request_hash, state, locked_until, created_at, owner) VALUES ($1, $2, 'in_flight', $3, $4, $6)
     ON CONFLICT (scope_hash) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'in_flight', locked_until = EXCLUDED.locked_until,
       status = NULL, sealed_response = NULL, created_at = EXCLUDED.created_at, owner = EXCLUDED.owner
     WHERE idempotency_records.created_at < $5
     RETURNING created_at`,
    [scopeHash, requestHash, HELD, now, new Date(now.getTime() - RETENTION_MS), ctx.instance],
  );
  if (inserted.rows[0]) return claimOf(false, inserted.rows[0].created_at);

  const { rows } = await ctx.sql.query<{ request_hash: string; state: string; status: number | null; sealed_response: string | null }>(
    "SELECT request_hash, state, status, sealed_response FROM idempotency_records WHERE scope_hash = $1",
    [scopeHash],
  );
  const record = rows[0];
  if (!record) throw conflict("idempotency_request_in_progress", "A request with this Idempotency-Key is being processed; retry shortly");
  if (record.request_hash !== requestHash) {
    throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was already used with a different request body; use a new key", { field: "Idempotency-Key", constraint: "same_request" });
  }
  if (record.state !== "done" || record.status == null) {
    throw conflict("idempotency_request_in_progress", "A request with this Idempotency-Key is being processed; retry shortly");
  }
  const stored = JSON.parse(unseal(sealKey, record.sealed_response ?? "")) as { contentType?: string; body: string };
  reply.header("Idempotent-Replayed", "true");
  if (stored.contentType) reply.header("Content-Type", stored.contentType);
  await reply.code(record.status).send(stored.body === "" ? undefined : stored.body);
  return undefined;
}

/** Stores the final response of a claimed request; a 5xx or 429 releases the key instead, so a retry can run. */
export async function settleIdempotencyKey(ctx: ServerContext, claim: IdempotencyClaim, status: number, contentType: string | undefined, body: string): Promise<void> {
  if (status >= 500 || status === 429) {
    await ctx.sql.query("DELETE FROM idempotency_records WHERE scope_hash = $1 AND state = 'in_flight'", [claim.scopeHash]);
    return;
  }
  const sealed = seal(claim.sealKey, JSON.stringify({ contentType, body }));
  await ctx.sql.query("UPDATE idempotency_records SET state = 'done', status = $2, sealed_response = $3 WHERE scope_hash = $1", [claim.scopeHash, status, sealed]);
}

/**
 * What a create stores with its row to say which request made it (the claim's scope: credential, path and key), or
 * null without an Idempotency-Key. The row and this mark commit together, so they outlive a process that dies before
 * it stores its response.
 */
export const writeKeyOf = (request: FastifyRequest): string | null => request.idempotency?.writeKey ?? null;

/**
 * On a rerun (see IdempotencyClaim), the row of `table` that this request's earlier attempt wrote, found by its
 * write key; `where` narrows it (e.g. to the project in the path).
 */
export async function ownEarlierWrite<T>(ctx: ServerContext, request: FastifyRequest, table: string, where = "TRUE", params: readonly unknown[] = []): Promise<T | undefined> {
  const claim = request.idempotency;
  if (!claim?.rerun) return undefined;
  const { rows } = await ctx.sql.query<T>(`SELECT * FROM ${table} WHERE write_key = $1 AND ${where}`, [claim.writeKey, ...params]);
  return rows[0];
}

export async function sweepIdempotencyRecords(ctx: ServerContext): Promise<void> {
  await ctx.sql.query("DELETE FROM idempotency_records WHERE created_at < $1", [new Date(ctx.options.now().getTime() - RETENTION_MS)]);
}
