// Branch: a copy of its parent's database at creation. Project, name and parent are its identity: any change replaces.
// `adoptExisting` takes over a branch of that name when its parent is the one declared (a branch is a copy made once:
// one with another parent is another branch, and is refused).
import { z } from "zod";
import { BranchName, BranchSelector, Id, databaseEndpoints as api } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, explainConflict, isAlreadyExists, nothingToAdopt, parseId, readOrGone, type OperationContext } from "./kind";

export const BranchInputs = z.strictObject({
  projectId: Id,
  name: BranchName,
  /** The branch to copy, by name or id. */
  parent: BranchSelector.default("main"),
  /** A branch of that name already in the project, copied from the same parent, is managed instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type BranchInputs = z.output<typeof BranchInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const BranchComputed = z.object({
  /** The branch's id (`br_…`). */
  branchId: z.string(),
  /** The id of the branch it was copied from. */
  parentId: z.string().nullable(),
  createdAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type BranchOutputs = BranchInputs & z.output<typeof BranchComputed>;

type ApiBranch = { id: string; name: string; parent_id: string | null; created_at: string };
const outputs = (live: ApiBranch, inputs: BranchInputs): BranchOutputs => ({ ...inputs, branchId: live.id, parentId: live.parent_id, createdAt: live.created_at, stateVersion: STATE_VERSION });

/** The branch of that name or id, undefined when there is none. */
const findBranch = (ctx: OperationContext, projectId: string, selector: string): Promise<ApiBranch | undefined> =>
  readOrGone(() => ctx.client.call(api.getBranch, { params: { id: projectId, branch: selector } }));

const ID_FORMAT = "<project id>/<branch name>, e.g. proj_123/preview/pr-42";

/** The branch of that name, with its parent's name (for an import, which knows no `parent` input). */
async function findWithParent(ctx: OperationContext, projectId: string, name: string): Promise<{ live: ApiBranch; parentName: string | undefined } | undefined> {
  const live = await findBranch(ctx, projectId, name);
  if (!live) return undefined;
  const parent = live.parent_id ? await findBranch(ctx, projectId, live.parent_id) : undefined;
  return { live, parentName: parent?.name };
}

async function adopt(ctx: OperationContext, inputs: BranchInputs): Promise<ApiBranch> {
  const found = await findWithParent(ctx, inputs.projectId, inputs.name);
  if (!found) throw nothingToAdopt("Branch", inputs.name, `project ${inputs.projectId}`);
  if (inputs.parent !== found.parentName && inputs.parent !== found.live.parent_id) {
    throw new Error(`Branch "${inputs.name}" exists in project ${inputs.projectId} as a copy of "${found.parentName ?? "nothing"}", not of "${inputs.parent}": it cannot be adopted as declared; choose another name, or declare parent "${found.parentName ?? ""}"`);
  }
  return found.live;
}

export const branch = defineKind<BranchInputs, BranchOutputs>({
  type: "lubes:index:Branch",
  title: "Branch",
  description: "A database branch: a full copy of its parent at creation, independent afterwards. Every input replaces it.",
  docs: {
    projectId: "The project.",
    name: "Branch name; `<logical name>-<random>` when left out.",
    parent: "The branch to copy, by name or id; default main.",
    adoptExisting: "A branch of that name already in the project, copied from the same parent, is managed instead of failing. To keep a branch when you rename this resource, use the `aliases` option instead.",
    branchId: "The branch's id.",
    parentId: "The id of the branch it was copied from.",
    createdAt: "When it was created (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "name", "parent"],
  identity: ["projectId", "name"],
  autoName: { property: "name", slug: true },
  secretOutputs: [],
  importId: ID_FORMAT,
  inputs: BranchInputs,
  outputs: BranchComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    const id = `${inputs.projectId}/${inputs.name}`;
    ctx.log(`Copying branch "${inputs.parent}" into "${inputs.name}"…`);
    try {
      const created = await ctx.client.call(api.createBranch, { params: { id: inputs.projectId }, body: { name: inputs.name, parent: inputs.parent } });
      return { id, outs: outputs(created, inputs) };
    } catch (error) {
      if (!(isAlreadyExists(error) && inputs.adoptExisting)) return explainConflict(error, "Branch", inputs.name, `project ${inputs.projectId}`);
      return { id, outs: outputs(await adopt(ctx, inputs), inputs), adopted: true };
    }
  },
  async read(ctx, id, olds) {
    const [projectId, name] = olds.projectId && olds.name ? [olds.projectId, olds.name] : parseId(id, 1, ID_FORMAT);
    // The parent's name is looked up only for an import: state already has it.
    const found = olds.parent ? { live: await findBranch(ctx, projectId, name), parentName: olds.parent } : await findWithParent(ctx, projectId, name);
    if (!found?.live) return undefined;
    const inputs = { projectId, name, parent: found.parentName ?? "main", adoptExisting: olds.adoptExisting ?? false };
    return { id, outs: outputs(found.live, inputs) };
  },
  // Every input replaces: an update only ever records what the diff called no change.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, ...news }),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.deleteBranch, { params: { id: olds.projectId, branch: olds.branchId } })),
});
