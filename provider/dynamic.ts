// The provider core as Pulumi's dynamic-provider host calls it. The SDK's shim loads this module by package name
// (`@lubes/pulumi/provider/dynamic`) inside each method, so nothing of it is ever serialized into state.
// Credentials come from `configure()` (stack config `lubes:apiKey`, `lubes:apiUrl`) or the environment, read when an
// operation runs.
import { randomBytes } from "node:crypto";
import { clientFor, resolveCredentials } from "./client";
import { kindOf, type OperationContext, type ResourceKind } from "./resources";

/** The input the SDK adds when a resource has no explicit name: its logical name, for autonaming. */
export const AUTO_NAME = "lubesAutoName";
const PROVIDER_KEY = "__provider";

/** Which property each kind autonames, and how (names must stay valid for the API: slugs are lowercased). */
const AUTO_NAMED: Record<string, { property: string; slug: boolean }> = {
  "lubes:index:Organization": { property: "name", slug: false },
  "lubes:index:Project": { property: "name", slug: false },
  "lubes:index:Bucket": { property: "name", slug: true },
  "lubes:index:Branch": { property: "name", slug: true },
  "lubes:index:Function": { property: "slug", slug: true },
};

/** How the engine passes a value not known yet (during preview): pulumi's `runtime.unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const configured: { apiKey?: string | undefined; apiUrl?: string | undefined } = {};

interface ConfigureRequest {
  config: { get(key: string): string | undefined };
}

type Props = Record<string, unknown>;

/** The properties a kind knows: without the serialized provider and the autoname prefix. */
function strip(props: Props | undefined): Props {
  const rest = { ...props };
  delete rest[PROVIDER_KEY];
  delete rest[AUTO_NAME];
  return rest;
}

/** `logical-name-1a2b3c4`, kept from the last check so an update never renames. */
function autoName(type: string, olds: Props | undefined, news: Props): Props {
  const rule = AUTO_NAMED[type];
  const prefix = news[AUTO_NAME];
  if (!rule || news[rule.property] !== undefined || typeof prefix !== "string") return news;
  const previous = olds?.[AUTO_NAME] === prefix ? olds[rule.property] : undefined;
  const base = rule.slug ? prefix.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "lubes" : prefix;
  return { ...news, [rule.property]: previous ?? `${base}-${randomBytes(4).toString("hex").slice(0, 7)}` };
}

/**
 * Progress of long operations goes through `pulumi.log` of the program's own @pulumi/pulumi (the host's copy), which
 * reaches the engine when the host has an engine connection; without @pulumi/pulumi, it goes to stderr.
 */
function progress(message: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program's copy, loaded only when needed
    const pulumi = require("@pulumi/pulumi") as { log: { info(message: string): Promise<void> } };
    pulumi.log.info(`lubes: ${message}`).catch(() => process.stderr.write(`lubes: ${message}\n`));
  } catch {
    process.stderr.write(`lubes: ${message}\n`);
  }
}

function context(): OperationContext {
  return { client: clientFor(resolveCredentials(configured)), log: progress };
}

/** A dynamic provider (Pulumi's `ResourceProvider` shape) for one resource type. */
export function dynamicProvider(type: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own input and output types
  const kind: ResourceKind<any, any> = kindOf(type);
  return {
    configure(request: ConfigureRequest): Promise<void> {
      configured.apiKey = request.config.get("lubes:apiKey") ?? configured.apiKey;
      configured.apiUrl = request.config.get("lubes:apiUrl") ?? configured.apiUrl;
      return Promise.resolve();
    },
    check(olds: Props | undefined, news: Props): Promise<{ inputs?: Props; failures: { property: string; reason: string }[] }> {
      const named = autoName(type, olds, news);
      const result = kind.check(strip(named), olds ? strip(olds) : undefined) as { inputs?: Props; failures: { property: string; reason: string }[] };
      // In a preview, an input that comes from a resource not yet made is unknown: it cannot be judged yet, and the
      // inputs go on as given. Failures of the inputs that are known still stop the preview.
      const unknown = Object.keys(named).filter((key) => named[key] === UNKNOWN);
      if (!result.inputs && unknown.length > 0) {
        const known = result.failures.filter((f) => !unknown.includes(f.property.split(".")[0] ?? ""));
        return Promise.resolve(known.length > 0 ? { failures: known } : { inputs: named, failures: [] });
      }
      // The autoname prefix travels with the inputs, so the next check keeps the same name.
      const inputs = result.inputs ? { ...result.inputs, ...(typeof named[AUTO_NAME] === "string" ? { [AUTO_NAME]: named[AUTO_NAME] } : {}) } : undefined;
      return Promise.resolve({ ...(inputs ? { inputs } : {}), failures: result.failures });
    },
    diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
      const result = kind.diff(id, strip(olds), strip(news));
      return Promise.resolve({ changes: result.changes, replaces: result.replaces, deleteBeforeReplace: result.deleteBeforeReplace ?? false });
    },
    async create(inputs: Props): Promise<{ id: string; outs: Props }> {
      const created = await kind.create(context(), strip(inputs));
      return { id: created.id, outs: withAutoName(created.outs as Props, inputs) };
    },
    async read(id: string, props: Props): Promise<{ id: string; props: Props }> {
      const live = await kind.read(context(), id, strip(props));
      // An empty id tells the engine the resource is gone.
      return live ? { id: live.id, props: withAutoName(live.outs as Props, props) } : { id: "", props: {} };
    },
    async update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
      return { outs: withAutoName((await kind.update(context(), id, strip(olds), strip(news))) as Props, news) };
    },
    delete: (id: string, props: Props): Promise<void> => kind.delete(context(), id, strip(props)),
  };
}

function withAutoName(outs: Props, from: Props): Props {
  return typeof from[AUTO_NAME] === "string" ? { ...outs, [AUTO_NAME]: from[AUTO_NAME] } : outs;
}
