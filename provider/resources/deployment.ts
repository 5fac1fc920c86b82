// Deployment: an immutable release. Any change of its inputs makes a new deployment (a replacement); create waits
// until it is ready, and a failed build fails with the last lines of its logs. Destroying one forgets it (the platform
// keeps deployments as history) unless `deleteOnDestroy` is set, as for a preview deployment made per pull request.
// Whether it is production's current release is not an output: that changes with every later deployment, and
// `refresh` would report it as drift of this one.
import { z } from "zod";
import type { z as zod } from "zod";
import { DeploymentEnvironment, Id, deploymentEndpoints as api, type Deployment } from "../../contract";
import { printable } from "../client";

type ApiDeployment = zod.infer<typeof Deployment>;
import { STATE_VERSION, defineKind, deleteIgnoringGone, parseId, printableLine, readOrGone, type OperationContext } from "./kind";

export const DeploymentInputs = z.strictObject({
  projectId: Id,
  environment: DeploymentEnvironment.default("production"),
  ref: z.string().min(1).max(255).optional(),
  commit: z.string().min(1).max(255).optional(),
  /** Any values whose change should make a new deployment (e.g. the live versions of functions). */
  triggers: z.record(z.string(), z.string()).default({}),
  /** How long create waits for the build to be ready. */
  waitTimeoutSeconds: z.number().int().min(1).max(3600).default(300),
  /** Delete the deployment on destroy instead of keeping it as history (never production's current release). */
  deleteOnDestroy: z.boolean().default(false),
});
export type DeploymentInputs = z.output<typeof DeploymentInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const DeploymentComputed = z.object({
  /** The deployment's id (`dep_…`): point a ProductionDeployment at it. */
  deploymentId: z.string(),
  /** `ready` once created (create waits for it), or as later read. */
  status: z.string(),
  /** The function versions the release captured. */
  functions: z.array(z.object({ slug: z.string(), version: z.number() })),
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type DeploymentOutputs = DeploymentInputs & z.output<typeof DeploymentComputed>;

const outputs = (live: ApiDeployment, inputs: DeploymentInputs): DeploymentOutputs => ({
  ...inputs, deploymentId: live.id, status: live.status, functions: live.functions, createdAt: live.created_at, readyAt: live.ready_at, stateVersion: STATE_VERSION,
});

export interface WaitOptions {
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls until the deployment is ready or failed, reporting each status change; past the timeout it says so. */
export async function waitForDeployment(ctx: OperationContext, projectId: string, id: string, timeoutSeconds: number, options: WaitOptions = {}): Promise<ApiDeployment> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = now() + timeoutSeconds * 1000;
  let last = "";
  for (let poll = 0; ; poll++) {
    const live = await ctx.client.call(api.get, { params: { id: projectId, deployId: id } });
    if (live.status !== last) ctx.log(`Deployment ${id}: ${live.status}`);
    last = live.status;
    if (live.status === "ready") return live;
    if (live.status === "failed") {
      const logs = await ctx.client.call(api.logs, { params: { id: projectId, deployId: id }, query: { limit: 100 } });
      const tail = logs.data.slice(-5).map((l) => `  ${printable(l.level, 20)}: ${printable(l.message, 500)}`).join("\n");
      throw new Error(`Deployment ${id} failed: ${live.error ? printableLine(live.error) : "no reason given"}\nLast log lines:\n${tail}`);
    }
    if (now() > deadline) throw new Error(`Deployment ${id} is still ${live.status} after ${timeoutSeconds} s; it may finish later (raise waitTimeoutSeconds, or run \`pulumi refresh\`)`);
    await sleep(Math.min(options.pollMs ?? 2_000, 250 * 2 ** poll));
  }
}

export const deployment = defineKind<DeploymentInputs, DeploymentOutputs>({
  type: "lubes:index:Deployment",
  title: "Deployment",
  description: "A deployment: an immutable release of the project's live function versions and variables. Any input change makes a new one; create waits until it is ready.",
  docs: {
    projectId: "The project.",
    environment: "Default production.",
    ref: "Source ref, e.g. a branch.",
    commit: "Source commit.",
    triggers: "Values whose change makes a new deployment.",
    waitTimeoutSeconds: "How long create waits for ready; default 300.",
    deleteOnDestroy: "Delete the deployment on destroy (default false: kept as history). For per-pull-request previews.",
    deploymentId: "The deployment's id.",
    status: "`queued`, `building`, `ready` or `failed`.",
    functions: "The function versions it released.",
    createdAt: "When it was created (ISO 8601).",
    readyAt: "When it became ready (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "environment", "ref", "commit", "triggers"],
  secretOutputs: [],
  importId: "<project id>/<deployment id>, e.g. proj_123/dep_456",
  inputs: DeploymentInputs,
  outputs: DeploymentComputed,
  async create(ctx, inputs) {
    const body = { environment: inputs.environment, ...(inputs.ref ? { ref: inputs.ref } : {}), ...(inputs.commit ? { commit: inputs.commit } : {}) };
    const queued = await ctx.client.call(api.create, { params: { id: inputs.projectId }, body });
    const ready = await waitForDeployment(ctx, inputs.projectId, queued.id, inputs.waitTimeoutSeconds);
    return { id: `${inputs.projectId}/${queued.id}`, outs: outputs(ready, inputs) };
  },
  async read(ctx, id, olds) {
    const [projectId, deploymentId] = olds.projectId && olds.deploymentId ? [olds.projectId, olds.deploymentId] : parseId(id, 1, "<project id>/<deployment id>, e.g. proj_123/dep_456");
    const live = await readOrGone(() => ctx.client.call(api.get, { params: { id: projectId, deployId: deploymentId } }));
    if (!live) return undefined;
    // An import knows only the id: what the deployment was made with comes from the deployment itself.
    const fromLive = DeploymentInputs.parse({ projectId, environment: live.environment, ref: live.ref ?? undefined, commit: live.commit ?? undefined });
    return { id, outs: outputs(live, { ...fromLive, ...olds }) };
  },
  // Only waitTimeoutSeconds and deleteOnDestroy change in place, and they are the provider's own.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, waitTimeoutSeconds: news.waitTimeoutSeconds, deleteOnDestroy: news.deleteOnDestroy }),
  delete: (ctx, _id, olds) =>
    olds.deleteOnDestroy ? deleteIgnoringGone(() => ctx.client.call(api.remove, { params: { id: olds.projectId, deployId: olds.deploymentId } })) : Promise.resolve(),
});
