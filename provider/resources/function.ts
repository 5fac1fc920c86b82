// Function: source as text or as a file path; what is diffed is the content's hash, never the path. Create and
// update deploy, so what is declared is what runs; the outputs carry the live version. `adoptExisting` takes over a
// function of that slug: its settings and source become the declared ones, deployed.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DisplayName, FunctionSlug, FunctionSource, Id, RUNTIMES, functionEndpoints as api } from "../../contract";
import { LubesError } from "../client";
import { STATE_VERSION, checkWith, defineKind, deleteIgnoringGone, expectExisting, explainConflict, isAlreadyExists, parseId, printableLine, readOrGone, type CheckResult, type OperationContext } from "./kind";

const RawFunctionInputs = z.strictObject({
  projectId: Id,
  slug: FunctionSlug,
  name: DisplayName.optional(),
  /** The module's text, or… */
  source: FunctionSource.optional(),
  /** …a file to read it from, relative to the program's folder. */
  sourcePath: z.string().min(1).optional(),
  runtime: z.enum(RUNTIMES).default("nodejs20"),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  memoryMb: z.number().int().min(16).max(1024).default(128),
  /** A function of that slug already in the project is managed (its source replaced and deployed) instead of failing. */
  adoptExisting: z.boolean().default(false),
});

export type FunctionInputs = z.output<typeof RawFunctionInputs> & { source: string; sourceSha256: string };

/** What the server computes: outputs only (a diff never compares them). */
export const FunctionComputed = z.object({
  /** The function's id. */
  functionId: z.string(),
  /** The version that runs now. */
  liveVersion: z.number().nullable(),
  /** Where to invoke it (any method). */
  invokeUrl: z.string(),
  createdAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type FunctionOutputs = FunctionInputs & z.output<typeof FunctionComputed>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function check(news: unknown): CheckResult<FunctionInputs> {
  const parsed = checkWith(RawFunctionInputs, news);
  if (!parsed.inputs) return { failures: parsed.failures };
  const inputs = parsed.inputs;
  if ((inputs.source === undefined) === (inputs.sourcePath === undefined)) {
    return { failures: [{ property: "source", reason: "give exactly one of source (the module's text) or sourcePath (a file)" }] };
  }
  let source = inputs.source ?? "";
  if (inputs.sourcePath !== undefined) {
    try {
      source = readFileSync(path.resolve(inputs.sourcePath), "utf8");
    } catch (error) {
      return { failures: [{ property: "sourcePath", reason: `cannot read ${inputs.sourcePath}: ${(error as Error).message}` }] };
    }
    if (!FunctionSource.safeParse(source).success) return { failures: [{ property: "sourcePath", reason: `${inputs.sourcePath} is empty or larger than 1 MiB` }] };
  }
  return { inputs: { ...inputs, source, sourceSha256: sha256(source) }, failures: [] };
}

type ApiFunction = { id: string; slug: string; name: string; runtime: "nodejs20"; source: string; source_sha256: string; timeout_ms: number; memory_mb: number; live_version: number | null; created_at: string };

function outputs(ctx: OperationContext, live: ApiFunction, inputs: FunctionInputs): FunctionOutputs {
  return {
    ...inputs,
    name: live.name, source: live.source, sourceSha256: live.source_sha256, runtime: live.runtime, timeoutMs: live.timeout_ms, memoryMb: live.memory_mb,
    functionId: live.id, liveVersion: live.live_version, invokeUrl: `${ctx.client.apiUrl}/projects/${inputs.projectId}/functions/${live.slug}/invoke`,
    createdAt: live.created_at, stateVersion: STATE_VERSION,
  };
}

/** Deploys the current source and answers the live version; a source that does not load fails with the server's reason. */
async function deploy(ctx: OperationContext, inputs: FunctionInputs): Promise<number> {
  ctx.log(`Deploying function "${inputs.slug}"…`);
  try {
    const version = await ctx.client.call(api.deploy, { params: { id: inputs.projectId, slug: inputs.slug } });
    ctx.log(`Function "${inputs.slug}" version ${version.version} is live`);
    return version.version;
  } catch (error) {
    if (error instanceof LubesError && error.code === "deploy_failed") {
      const reason = typeof error.details?.["error"] === "string" ? error.details["error"] : error.serverMessage;
      throw new Error(`Function "${inputs.slug}" was not deployed: ${printableLine(reason)}`, { cause: error });
    }
    throw error;
  }
}

const fetchLive = (ctx: OperationContext, inputs: { projectId: string; slug: string }) => ctx.client.call(api.get, { params: { id: inputs.projectId, slug: inputs.slug } });

const ID_FORMAT = "<project id>/<slug>, e.g. proj_123/hello";

/** Saves the declared settings and source as the function's draft, then deploys when the live code is not ours. */
async function saveAndDeploy(ctx: OperationContext, id: string, news: FunctionInputs, olds?: FunctionOutputs): Promise<FunctionOutputs> {
  const body = { source: news.source, timeout_ms: news.timeoutMs, memory_mb: news.memoryMb, ...(news.name ? { name: news.name } : {}) };
  const draft = await expectExisting("Function", id, () => ctx.client.call(api.update, { params: { id: news.projectId, slug: news.slug }, body }));
  const redeploy = !olds || olds.sourceSha256 !== news.sourceSha256 || draft.live_version === null || olds.liveVersion !== draft.live_version;
  return outputs(ctx, redeploy ? { ...draft, live_version: await deploy(ctx, news) } : draft, news);
}

export const lubesFunction = defineKind<FunctionInputs, FunctionOutputs>({
  type: "lubes:index:Function",
  title: "Function",
  description: "A serverless function: an ES module whose default export handles a Web `Request`. Create and update deploy it; the content's hash is diffed, not the path.",
  docs: {
    projectId: "The project.",
    slug: "URL slug; `<logical name>-<random>` when left out.",
    name: "Display name.",
    source: "The module's text (or give sourcePath).",
    sourcePath: "A file holding the module, relative to the program.",
    runtime: "Runtime; default nodejs20. Changing it replaces the function.",
    timeoutMs: "Per invocation; default 10000.",
    memoryMb: "Heap limit; default 128.",
    adoptExisting: "A function of that slug already in the project is managed (its source replaced and deployed) instead of failing. To keep a function when you rename this resource, use the `aliases` option instead.",
    sourceSha256: "SHA-256 of the source: what is diffed.",
    functionId: "The function's id.",
    liveVersion: "The deployed version that runs.",
    invokeUrl: "Where to invoke it.",
    createdAt: "When it was created (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "slug", "runtime"],
  identity: ["projectId", "slug"],
  autoName: { property: "slug", slug: true },
  secretOutputs: [],
  importId: ID_FORMAT,
  check,
  inputs: RawFunctionInputs,
  outputs: FunctionComputed,
  notDiffed: { source: "diffed by sourceSha256", sourcePath: "diffed by sourceSha256", adoptExisting: "matters only when the resource is created" },
  computed: ["sourceSha256"],
  async create(ctx, inputs) {
    const body = { slug: inputs.slug, source: inputs.source, runtime: inputs.runtime, timeout_ms: inputs.timeoutMs, memory_mb: inputs.memoryMb, ...(inputs.name ? { name: inputs.name } : {}) };
    const id = `${inputs.projectId}/${inputs.slug}`;
    let created: ApiFunction;
    try {
      created = await ctx.client.call(api.create, { params: { id: inputs.projectId }, body });
    } catch (error) {
      if (!(isAlreadyExists(error) && inputs.adoptExisting)) return explainConflict(error, "Function", inputs.slug, `project ${inputs.projectId}`);
      return { id, outs: await saveAndDeploy(ctx, id, inputs), adopted: true };
    }
    let liveVersion: number;
    try {
      liveVersion = await deploy(ctx, inputs);
    } catch (error) {
      // The create failed as a whole: leave no undeployed function behind.
      await deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id: inputs.projectId, slug: inputs.slug } }));
      throw error;
    }
    return { id, outs: outputs(ctx, { ...created, live_version: liveVersion }, inputs) };
  },
  async read(ctx, id, olds) {
    const [projectId, slug] = olds.projectId && olds.slug ? [olds.projectId, olds.slug] : parseId(id, 1, ID_FORMAT);
    const live = await readOrGone(() => fetchLive(ctx, { projectId, slug }));
    if (!live) return undefined;
    const known = { adoptExisting: false, ...olds, projectId, slug } as FunctionInputs;
    return { id, outs: outputs(ctx, live, known) };
  },
  update: (ctx, id, olds, news) => saveAndDeploy(ctx, id, news, olds),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id: olds.projectId, slug: olds.slug } })),
});
