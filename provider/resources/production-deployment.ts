// ProductionDeployment: which deployment production runs. Pointing it at an earlier deployment in the program and
// running `pulumi up` rolls production back to it (a new deployment record restoring that release). Drift: a deploy
// or rollback made outside Pulumi shows on refresh, and the next up points production back.
import { z } from "zod";
import { Id, deploymentEndpoints, projectEndpoints } from "../../contract";
import { STATE_VERSION, defineKind, expectExisting, readOrGone, type OperationContext } from "./kind";

export const ProductionDeploymentInputs = z.strictObject({
  projectId: Id,
  /** The deployment production should run: a Deployment's `deploymentId`. */
  deploymentId: Id,
});
export type ProductionDeploymentInputs = z.output<typeof ProductionDeploymentInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const ProductionDeploymentComputed = z.object({
  /** The project's current deployment: `deploymentId` itself, or the rollback record that restored it. */
  currentDeploymentId: z.string(),
  /** Whether pointing production at it took a rollback. */
  rolledBack: z.boolean(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type ProductionDeploymentOutputs = ProductionDeploymentInputs & z.output<typeof ProductionDeploymentComputed>;

async function pointAt(ctx: OperationContext, inputs: ProductionDeploymentInputs): Promise<ProductionDeploymentOutputs> {
  const project = await expectExisting("Project", inputs.projectId, () => ctx.client.call(projectEndpoints.get, { params: { id: inputs.projectId } }));
  if (project.current_deployment_id === inputs.deploymentId) {
    return { ...inputs, currentDeploymentId: inputs.deploymentId, rolledBack: false, stateVersion: STATE_VERSION };
  }
  ctx.log(`Rolling production back to deployment ${inputs.deploymentId}…`);
  const rollback = await ctx.client.call(deploymentEndpoints.rollback, { params: { id: inputs.projectId, deployId: inputs.deploymentId } });
  return { ...inputs, currentDeploymentId: rollback.id, rolledBack: true, stateVersion: STATE_VERSION };
}

export const productionDeployment = defineKind<ProductionDeploymentInputs, ProductionDeploymentOutputs>({
  type: "lubes:index:ProductionDeployment",
  title: "Production deployment",
  description: "Which deployment production runs. Point it at an earlier Deployment and `pulumi up` rolls production back to it.",
  docs: {
    projectId: "The project.",
    deploymentId: "The deployment production should run.",
    currentDeploymentId: "The project's current deployment (the rollback record when one was needed).",
    rolledBack: "Whether production was rolled back to reach the declared deployment.",
  },
  replaceOnChanges: ["projectId"],
  secretOutputs: [],
  importId: "the project id, e.g. proj_123",
  inputs: ProductionDeploymentInputs,
  outputs: ProductionDeploymentComputed,
  async create(ctx, inputs) {
    return { id: inputs.projectId, outs: await pointAt(ctx, inputs) };
  },
  async read(ctx, id, olds) {
    const projectId = olds.projectId ?? id;
    const project = await readOrGone(() => ctx.client.call(projectEndpoints.get, { params: { id: projectId } }));
    if (!project) return undefined;
    const current = project.current_deployment_id ?? "";
    // Still ours if production runs the deployment, or the rollback record we made for it.
    if (olds.deploymentId && (current === olds.deploymentId || current === olds.currentDeploymentId)) return { id, outs: olds as ProductionDeploymentOutputs };
    return { id, outs: { projectId, deploymentId: current, currentDeploymentId: current, rolledBack: olds.rolledBack ?? false, stateVersion: STATE_VERSION } };
  },
  update: (ctx, _id, _olds, news) => pointAt(ctx, news),
  // Production keeps running what it runs: there is nothing to undo.
  delete: () => Promise.resolve(),
});
