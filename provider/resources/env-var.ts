// EnvVar: one variable of a project. Its value is a secret in state. A sensitive value is never returned by the API,
// so drift is seen through value_sha256: a value changed outside Pulumi reads back as "" and the next up sets it again.
// Create never overwrites: it sets the key only if it is absent (`If-None-Match: *`), so a resource renamed in the
// program without an alias fails instead of taking over, and later deleting, the variable it still has
// (`adoptExisting` takes over on purpose).
import { createHash } from "node:crypto";
import { z } from "zod";
import { ENVIRONMENTS, Environment, EnvKey, EnvValue, Id, envEndpoints as api, type EnvVar as ApiEnvVar } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, explainConflict, findInPages, parseId, readOrGone, type OperationContext } from "./kind";

export const EnvVarInputs = z.strictObject({
  projectId: Id,
  key: EnvKey,
  value: EnvValue,
  sensitive: z.boolean().default(false),
  /** Sorted and without repeats, so their order never shows as a change. */
  environments: z.array(Environment).min(1).default([...ENVIRONMENTS]).transform((list) => [...new Set(list)].sort()),
  /** A variable of that key already in the project is managed (its value set) instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type EnvVarInputs = z.output<typeof EnvVarInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const EnvVarComputed = z.object({
  /** SHA-256 of the value, also for a sensitive one, so drift shows without reading it. */
  valueSha256: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type EnvVarOutputs = EnvVarInputs & z.output<typeof EnvVarComputed>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** `value`: the API's when it shows it; ours when the hashes agree; else unknown (""), which the next up corrects. */
function outputs(live: ApiEnvVar, projectId: string, known: string | undefined, adoptExisting: boolean): EnvVarOutputs {
  const value = live.value ?? (known !== undefined && sha256(known) === live.value_sha256 ? known : "");
  return {
    projectId, key: live.key, value, sensitive: live.sensitive, environments: [...live.environments].sort(), adoptExisting,
    valueSha256: live.value_sha256, createdAt: live.created_at, updatedAt: live.updated_at, stateVersion: STATE_VERSION,
  };
}

const findVariable = (ctx: OperationContext, projectId: string, key: string): Promise<ApiEnvVar | undefined> =>
  findInPages((query) => ctx.client.call(api.list, { params: { id: projectId }, query }), (v) => v.key === key);

const idOf = (projectId: string, key: string) => `${projectId}/${key}`;
const ID_FORMAT = "<project id>/<KEY>, e.g. proj_123/DATABASE_URL";

/** Sets the variable; `onlyIfAbsent` refuses (412) when the key exists. Answers whether it existed. */
async function set(ctx: OperationContext, inputs: EnvVarInputs, onlyIfAbsent = false): Promise<{ outs: EnvVarOutputs; existed: boolean }> {
  const answer = await ctx.client.send(api.set, {
    params: { id: inputs.projectId },
    body: { key: inputs.key, value: inputs.value, sensitive: inputs.sensitive, environments: inputs.environments },
    ...(onlyIfAbsent ? { headers: { "if-none-match": "*" } } : {}),
  });
  return { outs: outputs(answer.body, inputs.projectId, inputs.value, inputs.adoptExisting), existed: answer.status === 200 };
}

export const envVar = defineKind<EnvVarInputs, EnvVarOutputs>({
  type: "lubes:index:EnvVar",
  title: "Environment variable",
  description: "An environment variable. Its value is a secret in state; a sensitive value is never returned by the API, and drift is still seen through its hash.",
  docs: {
    projectId: "The project. Changing it replaces the variable.",
    key: "`[A-Z_][A-Z0-9_]*`. Changing it replaces the variable.",
    value: "The value (a secret in state).",
    sensitive: "Never returned by the API.",
    environments: "Default all three.",
    adoptExisting: "A variable of that key already in the project is managed (its value set) instead of failing. To keep a variable when you rename this resource, use the `aliases` option instead.",
    valueSha256: "SHA-256 of the value, as the server reports it: how drift of a sensitive value is seen.",
    createdAt: "When it was created (ISO 8601).",
    updatedAt: "When its value last changed (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "key"],
  identity: ["projectId", "key"],
  secretOutputs: ["value"],
  importId: ID_FORMAT,
  inputs: EnvVarInputs,
  outputs: EnvVarComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    const id = idOf(inputs.projectId, inputs.key);
    if (inputs.adoptExisting) {
      const { outs, existed } = await set(ctx, inputs);
      return { id, outs, adopted: existed };
    }
    const { outs } = await set(ctx, inputs, true).catch((error: unknown) => explainConflict(error, "Environment variable", inputs.key, `project ${inputs.projectId}`));
    return { id, outs };
  },
  async read(ctx, id, olds) {
    const [projectId, key] = olds.projectId && olds.key ? [olds.projectId, olds.key] : parseId(id, 1, ID_FORMAT);
    const live = await readOrGone(() => findVariable(ctx, projectId, key));
    return live && { id, outs: outputs(live, projectId, olds.value, olds.adoptExisting ?? false) };
  },
  update: async (ctx, _id, _olds, news) => (await set(ctx, news)).outs,
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id: olds.projectId, key: olds.key } })),
});
