// Builds deployments in the background. A build is claimed from the control plane (FOR UPDATE SKIP LOCKED), so two
// processes never build the same deployment and a restarted process takes over a claim that expired. Building a
// release checks that every captured function version loads (each within MODULE_LOAD_TIMEOUT_MS); a ready production
// deployment becomes current. BUILDERS builds run at once per process, and a claim takes the oldest queued build of
// the project with the fewest builds running (across every process), then of the project served longest ago: one
// project's queue delays another project's build by at most the builds already running.
import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../context";
import { ownerGone } from "../db/liveness";
import { MODULE_LOAD_TIMEOUT_MS, runFunction } from "../functions/runtime";
import { logDeployment, type DeploymentRow } from "../store/deployments";

const POLL_MS = 1_000;
/** A claim lasts this long; a build still running past it would be taken over by another process. */
const CLAIM_MS = 120_000;
/** Builds at once in this process. */
const BUILDERS = 2;

export class DeployBuilder {
  private timer: NodeJS.Timeout | undefined;
  /** The builders at work, each claiming and building until nothing is queued. */
  private readonly workers = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly ctx: ServerContext, private readonly log: FastifyBaseLogger) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Starts builders, up to BUILDERS, for what is queued now; busy ones claim the rest when they are done. */
  kick(): void {
    while (!this.stopped && this.workers.size < BUILDERS) {
      const worker: Promise<void> = this.work()
        .catch((error: unknown) => this.log.error({ err: error }, "deployment builder failed"))
        .finally(() => this.workers.delete(worker));
      this.workers.add(worker);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (let job = await this.claim(); job && !this.stopped; job = await this.claim()) await this.build(job);
  }

  /** The next build to run; `takenOver` when another process's claim on it lapsed (its lease, or the process). */
  private async claim(): Promise<(DeploymentRow & { takenOver: boolean }) | undefined> {
    const now = this.ctx.options.now();
    const { rows } = await this.ctx.sql.query<DeploymentRow & { taken_over: boolean }>(
      `WITH next AS (
         SELECT d.id, d.status = 'building' AS taken_over FROM deployments d
          WHERE d.status = 'queued' OR (d.status = 'building' AND (d.claimed_until < $2 OR ${ownerGone("d.owner")}))
          ORDER BY (SELECT count(*) FROM deployments b WHERE b.project_id = d.project_id AND b.status = 'building' AND b.claimed_until >= $2),
                   (SELECT max(b.created_at) FROM deployments b WHERE b.project_id = d.project_id AND b.status <> 'queued') NULLS FIRST,
                   d.created_at
          LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE deployments SET status = 'building', claimed_until = $1, owner = $3 FROM next WHERE deployments.id = next.id
       RETURNING deployments.*, next.taken_over`,
      [new Date(now.getTime() + CLAIM_MS), now, this.ctx.instance],
    );
    const row = rows[0];
    return row && { ...row, takenOver: row.taken_over };
  }

  private async build(job: DeploymentRow & { takenOver: boolean }): Promise<void> {
    const { sql } = this.ctx;
    if (job.takenOver) await logDeployment(sql, job.id, "warn", "The process building this deployment stopped: building it again");
    await logDeployment(sql, job.id, "info", `Building ${job.environment} deployment${job.ref ? ` of ${job.ref}` : ""}${job.commit ? ` (${job.commit})` : ""}: ${job.functions.length} function(s), ${job.env.length} variable(s)`);
    for (const fn of job.functions) {
      const version = (await sql.query<{ source: string; memory_mb: number }>(
        "SELECT v.source, f.memory_mb FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE v.function_id = $1 AND v.version = $2",
        [fn.function_id, fn.version],
      )).rows[0];
      const outcome = version ? await runFunction({ source: version.source, check: true }, {}, { timeoutMs: MODULE_LOAD_TIMEOUT_MS, memoryMb: version.memory_mb }) : undefined;
      if (outcome?.kind !== "checked") {
        const why = !outcome ? "it no longer exists" : `it does not load: ${"message" in outcome ? outcome.message.split("\n")[0] : outcome.kind}`;
        const reason = `function "${fn.slug}" version ${fn.version}: ${why}`;
        await logDeployment(sql, job.id, "error", reason);
        await sql.query("UPDATE deployments SET status = 'failed', error = $2, claimed_until = NULL WHERE id = $1", [job.id, reason]);
        return;
      }
      await logDeployment(sql, job.id, "info", `Function "${fn.slug}" version ${fn.version} loads`);
    }
    await sql.transaction(async (tx) => {
      await tx.query("UPDATE deployments SET status = 'ready', ready_at = now(), claimed_until = NULL WHERE id = $1", [job.id]);
      if (job.environment === "production") {
        // The newest ready production deployment is current; an older one finishing late does not take over.
        await tx.query(
          `UPDATE projects p SET current_deployment_id = $2 WHERE p.id = $1 AND (p.current_deployment_id IS NULL
             OR (SELECT created_at FROM deployments WHERE id = p.current_deployment_id) < (SELECT created_at FROM deployments WHERE id = $2))`,
          [job.project_id, job.id],
        );
      }
      await logDeployment(tx, job.id, "info", "Deployment is ready");
    });
  }
}
