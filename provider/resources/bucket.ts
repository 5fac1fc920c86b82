// Bucket: its project and name are its identity (a change replaces it); visibility changes in place. Deleting a
// bucket that holds objects fails with a clear message unless forceDestroy is set.
import { z } from "zod";
import { BucketName, Id, storageEndpoints as api } from "../../contract";
import { ConflictError } from "../client";
import { STATE_VERSION, defineKind, deleteIgnoringGone, explainConflict, isAlreadyExists, parseId, readOrGone, type OperationContext } from "./kind";

export const BucketInputs = z.strictObject({
  projectId: Id,
  name: BucketName,
  public: z.boolean().default(false),
  /** Delete the bucket's objects with it on destroy (or replacement); without it, a non-empty bucket is kept and the delete fails. */
  forceDestroy: z.boolean().default(false),
  /** A bucket of that name already in the project is managed instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type BucketInputs = z.output<typeof BucketInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const BucketComputed = z.object({
  /** The bucket's id. */
  bucketId: z.string(),
  createdAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type BucketOutputs = BucketInputs & z.output<typeof BucketComputed>;

type ApiBucket = { id: string; name: string; public: boolean; created_at: string };
const outputs = (live: ApiBucket, inputs: BucketInputs): BucketOutputs => ({ ...inputs, public: live.public, bucketId: live.id, createdAt: live.created_at, stateVersion: STATE_VERSION });
const idOf = (projectId: string, name: string) => `${projectId}/${name}`;
const ID_FORMAT = "<project id>/<bucket name>, e.g. proj_123/avatars";

const getBucket = (ctx: OperationContext, projectId: string, name: string): Promise<ApiBucket> => ctx.client.call(api.getBucket, { params: { id: projectId, name } });

export const bucket = defineKind<BucketInputs, BucketOutputs>({
  type: "lubes:index:Bucket",
  title: "Bucket",
  description: "A storage bucket. A non-empty bucket is not deleted unless forceDestroy is set.",
  docs: {
    projectId: "The project. Changing it replaces the bucket.",
    name: "DNS-like name; `<logical name>-<random>` when left out. Changing it replaces the bucket.",
    public: "Objects download without a token. Changed in place.",
    forceDestroy: "Delete the bucket's objects with it.",
    adoptExisting: "Manage a bucket of that name that already exists instead of failing.",
    bucketId: "The bucket's id.",
    createdAt: "When it was created (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "name"],
  identity: ["projectId", "name"],
  autoName: { property: "name", slug: true },
  secretOutputs: [],
  importId: ID_FORMAT,
  inputs: BucketInputs,
  outputs: BucketComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    try {
      const created = await ctx.client.call(api.createBucket, { params: { id: inputs.projectId }, body: { name: inputs.name, public: inputs.public } });
      return { id: idOf(inputs.projectId, inputs.name), outs: outputs(created, inputs) };
    } catch (error) {
      if (!(isAlreadyExists(error) && inputs.adoptExisting)) return explainConflict(error, "Bucket", inputs.name, `project ${inputs.projectId}`);
      const adopted = await ctx.client.call(api.updateBucket, { params: { id: inputs.projectId, name: inputs.name }, body: { public: inputs.public } });
      return { id: idOf(inputs.projectId, inputs.name), outs: outputs(adopted, inputs), adopted: true };
    }
  },
  async read(ctx, id, olds) {
    const [projectId, name] = olds.projectId && olds.name ? [olds.projectId, olds.name] : parseId(id, 1, ID_FORMAT);
    const live = await readOrGone(() => getBucket(ctx, projectId, name));
    return live && { id, outs: outputs(live, { projectId, name, public: live.public, forceDestroy: olds.forceDestroy ?? false, adoptExisting: olds.adoptExisting ?? false }) };
  },
  async update(ctx, _id, olds, news) {
    // forceDestroy and adoptExisting are the provider's own settings: only visibility goes to the API.
    if (olds.public === news.public) return { ...olds, ...news };
    const live = await ctx.client.call(api.updateBucket, { params: { id: news.projectId, name: news.name }, body: { public: news.public } });
    return outputs(live, news);
  },
  async delete(ctx, _id, olds) {
    try {
      await deleteIgnoringGone(() => ctx.client.call(api.deleteBucket, { params: { id: olds.projectId, name: olds.name }, query: { force: String(olds.forceDestroy) } }));
    } catch (error) {
      if (error instanceof ConflictError && error.code === "bucket_not_empty") {
        throw new Error(`Bucket "${olds.name}" still holds objects, so it was not deleted: delete them first, or set \`forceDestroy: true\` on the bucket to delete them with it (${error.message})`, { cause: error });
      }
      throw error;
    }
  },
});
