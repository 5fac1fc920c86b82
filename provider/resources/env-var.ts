// EnvVar: one variable of a project. Its value is a secret in state. A sensitive value is never returned by the API,
// so drift is seen through its digest (a salted scrypt the server shows to credentials that may write the project): a
// value changed outside Pulumi reads back as "" and the next up sets it again.
// Create never overwrites: it sets the key only if it is absent (`If-None-Match: *`), so a resource renamed in the
// program without an alias fails instead of taking over, and later deleting, the variable it still has
// (`adoptExisting` takes over on purpose).
import { scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { z } from "zod";
import { ENVIRONMENTS, Environment, EnvKey, EnvValue, Id, envEndpoints as api, type EnvVar as ApiEnvVar } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, explainConflict, parseId, readOrGone, type OperationContext } from "./kind";

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
  /** How the server identifies the value without showing it: SHA-256 of a shown value, a sensitive one's digest. */
  valueDigest: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type EnvVarOutputs = EnvVarInputs & z.output<typeof EnvVarComputed>;

const scryptAsync = promisify(scrypt) as (value: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

/** Whether `value` is the one the server's `scrypt$N$r$p$salt$key` digest was made of (bounded, so no digest is a DoS). */
export async function matchesDigest(value: string, digest: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = digest.split("$");
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  if (scheme !== "scrypt" || !salt || !key || !(N >= 2 && N <= 2 ** 20 && (N & (N - 1)) === 0 && R >= 1 && R <= 32 && P >= 1 && P <= 16)) return false;
  const expected = Buffer.from(key, "base64");
  if (expected.length < 16) return false;
  const actual = await scryptAsync(value, Buffer.from(salt, "base64"), expected.length, { N, r: R, p: P, maxmem: 256 * N * R });
  return timingSafeEqual(actual, expected);
}

/**
 * `value` as far as the API lets us know it: the API's when it shows it; ours when the digest agrees (checked once per
 * digest: one recorded with this very value needs no check); ours when the credential may not see digests (it reads
 * only, so drift of a sensitive value cannot be seen); else unknown (""), which the next up corrects.
 */
async function knownValue(live: ApiEnvVar, known: string | undefined, recorded?: { value?: string; valueDigest?: string }): Promise<string> {
  if (live.value !== null) return live.value;
  if (known === undefined) return "";
  if (live.value_digest === null) return known;
  if (recorded?.valueDigest === live.value_digest && recorded.value === known) return known;
  return (await matchesDigest(known, live.value_digest)) ? known : "";
}

/** `recordedDigest`: what state holds, kept when this credential may not see the digest (else a read shows a change). */
function outputs(live: ApiEnvVar, projectId: string, value: string, adoptExisting: boolean, recordedDigest?: string): EnvVarOutputs {
  return {
    projectId, key: live.key, value, sensitive: live.sensitive, environments: [...live.environments].sort(), adoptExisting,
    valueDigest: live.value_sha256 ?? live.value_digest ?? recordedDigest ?? "", createdAt: live.created_at, updatedAt: live.updated_at, stateVersion: STATE_VERSION,
  };
}

const getVariable = (ctx: OperationContext, projectId: string, key: string): Promise<ApiEnvVar> => ctx.client.call(api.get, { params: { id: projectId, key } });

const idOf = (projectId: string, key: string) => `${projectId}/${key}`;
const ID_FORMAT = "<project id>/<KEY>, e.g. proj_123/DATABASE_URL";

/** Sets the variable; `onlyIfAbsent` refuses (412) when the key exists. Answers whether it existed. */
async function set(ctx: OperationContext, inputs: EnvVarInputs, onlyIfAbsent = false): Promise<{ outs: EnvVarOutputs; existed: boolean }> {
  const answer = await ctx.client.send(api.set, {
    params: { id: inputs.projectId },
    body: { key: inputs.key, value: inputs.value, sensitive: inputs.sensitive, environments: inputs.environments },
    ...(onlyIfAbsent ? { headers: { "if-none-match": "*" } } : {}),
  });
  // The answer describes our own write: its value is the one we sent.
  return { outs: outputs(answer.body, inputs.projectId, inputs.value, inputs.adoptExisting), existed: answer.status === 200 };
}

export const envVar = defineKind<EnvVarInputs, EnvVarOutputs>({
  type: "lubes:index:EnvVar",
  title: "Environment variable",
  description: "An environment variable. Its value is a secret in state; a sensitive value is never returned by the API, and drift is still seen through its salted digest (with a key that may write the project).",
  docs: {
    projectId: "The project. Changing it replaces the variable.",
    key: "`[A-Z_][A-Z0-9_]*`. Changing it replaces the variable.",
    value: "The value (a secret in state).",
    sensitive: "Never returned by the API.",
    environments: "Default all three.",
    adoptExisting: "A variable of that key already in the project is managed (its value set) instead of failing. To keep a variable when you rename this resource, use the `aliases` option instead.",
    valueDigest: "How the server identifies the value without showing it: the SHA-256 (hex) of a value it shows; for a sensitive one its salted scrypt digest, how drift is seen (as last seen by a key that may write, when read with a key that may only read).",
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
    const live = await readOrGone(() => getVariable(ctx, projectId, key));
    return live && { id, outs: outputs(live, projectId, await knownValue(live, olds.value, olds), olds.adoptExisting ?? false, olds.valueDigest) };
  },
  update: async (ctx, _id, _olds, news) => (await set(ctx, news)).outs,
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id: olds.projectId, key: olds.key } })),
});
