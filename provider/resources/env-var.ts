// EnvVar: one variable of a project. Its value is a secret in state. A sensitive value is never returned by the API,
// so drift is seen through value_sha256: a value changed outside Pulumi reads back as "" and the next up sets it again.
import { createHash } from "node:crypto";
import { z } from "zod";
import { ENVIRONMENTS, Environment, EnvKey, EnvValue, Id, envEndpoints as api, type EnvVar as ApiEnvVar } from "../../contract";
import { STATE_VERSION, checkWith, deleteIgnoringGone, diffInputs, findInPages, readOrGone, type OperationContext, type ResourceKind } from "./kind";

export const EnvVarInputs = z.strictObject({
  projectId: Id,
  key: EnvKey,
  value: EnvValue,
  sensitive: z.boolean().default(false),
  /** Sorted and without repeats, so their order never shows as a change. */
  environments: z.array(Environment).min(1).default([...ENVIRONMENTS]).transform((list) => [...new Set(list)].sort()),
});
export type EnvVarInputs = z.output<typeof EnvVarInputs>;

export interface EnvVarOutputs extends EnvVarInputs {
  valueSha256: string;
  createdAt: string;
  updatedAt: string;
  stateVersion: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `value`: the API's when it shows it; ours when the hashes agree; else unknown (""), which the next up corrects. */
function outputs(live: ApiEnvVar, projectId: string, known: string | undefined): EnvVarOutputs {
  const value = live.value ?? (known !== undefined && sha256(known) === live.value_sha256 ? known : "");
  return {
    projectId, key: live.key, value, sensitive: live.sensitive, environments: [...live.environments].sort(),
    valueSha256: live.value_sha256, createdAt: live.created_at, updatedAt: live.updated_at, stateVersion: STATE_VERSION,
  };
}

const findVariable = (ctx: OperationContext, projectId: string, key: string): Promise<ApiEnvVar | undefined> =>
  findInPages((query) => ctx.client.call(api.list, { params: { id: projectId }, query }), (v) => v.key === key);

const idOf = (projectId: string, key: string) => `${projectId}/${key}`;

async function set(ctx: OperationContext, inputs: EnvVarInputs): Promise<EnvVarOutputs> {
  const live = await ctx.client.call(api.set, {
    params: { id: inputs.projectId },
    body: { key: inputs.key, value: inputs.value, sensitive: inputs.sensitive, environments: inputs.environments },
  });
  return outputs(live, inputs.projectId, inputs.value);
}

export const envVar: ResourceKind<EnvVarInputs, EnvVarOutputs> = {
  type: "lubes:index:EnvVar",
  title: "Environment variable",
  replaceOnChanges: ["projectId", "key"],
  secretOutputs: ["value"],
  importId: "<project id>/<KEY>, e.g. proj_123/DATABASE_URL",
  check: (news) => checkWith(EnvVarInputs, news),
  diff: (_id, olds, news) => diffInputs(olds, news, ["projectId", "key", "value", "sensitive", "environments"], ["projectId", "key"]),
  // Setting a key is create-or-update in the API: a variable that already exists is taken over, as documented.
  async create(ctx, inputs) {
    return { id: idOf(inputs.projectId, inputs.key), outs: await set(ctx, inputs) };
  },
  async read(ctx, id, olds) {
    const [projectId, key] = [olds.projectId, olds.key];
    const live = await readOrGone(() => findVariable(ctx, projectId, key));
    return live && { id, outs: outputs(live, projectId, olds.value) };
  },
  update: (ctx, _id, _olds, news) => set(ctx, news),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id: olds.projectId, key: olds.key } })),
};
