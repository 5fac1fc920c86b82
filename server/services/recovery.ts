// Work a process left unfinished when it died (killed, out of memory, the machine restarted) is given back, so that a
// retry runs at once rather than meeting "in progress" until a lease runs out. On the embedded default the data dir is
// this process's alone (db/dir-lock.ts), so at start-up whatever is marked in progress was cut off: an applying
// migration (its transaction rolled back with the process) is failed, a reverting one is applied again, an
// Idempotency-Key claim is dropped, a build is queued again, and half-written uploads are removed. On shared
// PostgreSQL another process may be doing that work right now, so each claim keeps its lease (migrations: their
// statement timeout and a margin; Idempotency-Key: LOCK_MS; builds: CLAIM_MS) and upload leftovers are removed once
// nothing has written to them for PARTIAL_IDLE_MS.
import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../context";
import { logDeployment } from "../store/deployments";

/** A half-written upload nothing has written to for this long was cut off (shared PostgreSQL: maybe by another process). */
export const PARTIAL_IDLE_MS = 10 * 60_000;

/** At start-up of a server that owns its data dir: releases everything a dead process left in progress. */
export async function releaseInterruptedWork(ctx: ServerContext, log: FastifyBaseLogger): Promise<void> {
  const migrations = await ctx.sql.query(
    `UPDATE migrations SET status = 'failed', error_code = 'interrupted', updated_at = now(),
            error_message = 'The server stopped while this migration ran; its transaction was rolled back: post it again'
      WHERE status = 'running'`,
  );
  const reverts = await ctx.sql.query("UPDATE migrations SET status = 'applied', updated_at = now() WHERE status = 'reverting'");
  // Left in place, with their lease over: the retry takes the claim over as a rerun, which finds a write its first
  // attempt committed (IdempotencyClaim.rerun).
  const claims = await ctx.sql.query("UPDATE idempotency_records SET locked_until = '-infinity' WHERE state = 'in_flight'");
  const builds = await ctx.sql.query<{ id: string }>("UPDATE deployments SET status = 'queued', claimed_until = NULL WHERE status = 'building' RETURNING id");
  for (const { id } of builds.rows) await logDeployment(ctx.sql, id, "warn", "The server stopped during this build: building it again");
  const uploads = await ctx.objects.removeStalePartials(0);
  const released = { migrations: migrations.rowCount, reverts: reverts.rowCount, idempotency_claims: claims.rowCount, builds: builds.rows.length, partial_uploads: uploads };
  if (Object.values(released).some((count) => count > 0)) log.warn(released, "released work the previous process left unfinished");
}
