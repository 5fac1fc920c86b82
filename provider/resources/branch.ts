// Branch: a copy of its parent's database at creation. Project, name and parent are its identity: any change replaces.
import { z } from "zod";
import { BranchName, BranchSelector, Id, databaseEndpoints as api } from "../../contract";
import { STATE_VERSION, checkWith, deleteIgnoringGone, diffInputs, explainConflict, findInPages, readOrGone, type OperationContext, type ResourceKind } from "./kind";

export const BranchInputs = z.strictObject({
  projectId: Id,
  name: BranchName,
  /** The branch to copy, by name or id. */
  parent: BranchSelector.default("main"),
});
export type BranchInputs = z.output<typeof BranchInputs>;

export interface BranchOutputs extends BranchInputs {
  branchId: string;
  parentId: string | null;
  createdAt: string;
  stateVersion: number;
}

type ApiBranch = { id: string; name: string; parent_id: string | null; created_at: string };
const outputs = (live: ApiBranch, inputs: BranchInputs): BranchOutputs => ({ ...inputs, branchId: live.id, parentId: live.parent_id, createdAt: live.created_at, stateVersion: STATE_VERSION });

const findBranch = (ctx: OperationContext, projectId: string, name: string): Promise<ApiBranch | undefined> =>
  findInPages((query) => ctx.client.call(api.listBranches, { params: { id: projectId }, query }), (b) => b.name === name);

export const branch: ResourceKind<BranchInputs, BranchOutputs> = {
  type: "lubes:index:Branch",
  title: "Branch",
  replaceOnChanges: ["projectId", "name", "parent"],
  secretOutputs: [],
  importId: "<project id>/<branch name>, e.g. proj_123/preview/pr-42",
  check: (news) => checkWith(BranchInputs, news),
  diff: (_id, olds, news) => diffInputs(olds, news, ["projectId", "name", "parent"], ["projectId", "name", "parent"]),
  async create(ctx, inputs) {
    ctx.log(`Copying branch "${inputs.parent}" into "${inputs.name}"…`);
    const created = await ctx.client.call(api.createBranch, { params: { id: inputs.projectId }, body: { name: inputs.name, parent: inputs.parent } }).catch((error: unknown) => explainConflict(error, "Branch", inputs.name));
    return { id: `${inputs.projectId}/${inputs.name}`, outs: outputs(created, inputs) };
  },
  async read(ctx, id, olds) {
    const live = await readOrGone(() => findBranch(ctx, olds.projectId, olds.name));
    return live && { id, outs: outputs(live, olds) };
  },
  // Every input replaces: an update only ever records what the diff called no change.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, ...news }),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.deleteBranch, { params: { id: olds.projectId, branch: olds.branchId } })),
};
