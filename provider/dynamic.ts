// The provider core as Pulumi's dynamic-provider host calls it. The SDK's shim loads this module by package name
// (`@lubes/pulumi/provider/dynamic`) inside each method, so nothing of it is ever serialized into state.
// Credentials come from `configure()` (stack config `lubes:apiKey`, `lubes:apiUrl`) or the environment, read when an
// operation runs.
import { randomBytes } from "node:crypto";
import { authEndpoints } from "../contract";
import { clientFor, resolveCredentials, type CredentialSettings, type LubesClient } from "./client";
import { kindOf, same, type OperationContext, type ResourceKind } from "./resources";

/** The input the SDK adds when a resource has no explicit name: its logical name, for autonaming. */
export const AUTO_NAME = "lubesAutoName";
const PROVIDER_KEY = "__provider";

/** How the engine passes a value not known yet (during preview): pulumi's `runtime.unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const configured: CredentialSettings = {};

/** Settings given by the engine (stack config, or an explicit provider's properties); the environment fills the rest. */
export function configureCredentials(settings: CredentialSettings): void {
  configured.apiKey = settings.apiKey ?? configured.apiKey;
  configured.apiUrl = settings.apiUrl ?? configured.apiUrl;
  configured.allowInsecureHttp = settings.allowInsecureHttp ?? configured.allowInsecureHttp;
}

interface ConfigureRequest {
  config: { get(key: string): string | undefined };
}

type Props = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own input and output types
type AnyKind = ResourceKind<any, any>;

/** The properties a kind knows: without the serialized provider and the autoname prefix. */
function strip(props: Props | undefined): Props {
  const rest = { ...props };
  delete rest[PROVIDER_KEY];
  delete rest[AUTO_NAME];
  return rest;
}

/** Pulumi's Struct has no `undefined`: a property without a value is left out. */
function defined(props: Props): Props {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined));
}

/**
 * `logical-name-1a2b3c4`. Once named, a resource keeps its name whenever the engine passes old inputs, even when its
 * logical name changed (an aliased rename); on a replacement the engine checks again without old inputs, and a new
 * name lets the new resource be made before the old one is deleted.
 */
function autoName(kind: AnyKind, olds: Props | undefined, news: Props): Props {
  const rule = kind.autoName;
  const prefix = news[AUTO_NAME];
  if (!rule || news[rule.property] !== undefined || typeof prefix !== "string") return news;
  const previous = typeof olds?.[AUTO_NAME] === "string" ? olds[rule.property] : undefined;
  const base = rule.slug ? prefix.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "lubes" : prefix;
  return { ...news, [rule.property]: previous ?? `${base}-${randomBytes(4).toString("hex").slice(0, 7)}` };
}

/**
 * Pulumi's convention for named resources: a replacement that keeps the name the user chose must delete the old one
 * first, or the new one's create would meet it. An autonamed one gets a new name, so both may exist at once.
 */
function mustDeleteFirst(kind: AnyKind, olds: Props, news: Props): boolean {
  if (!kind.identity || typeof news[AUTO_NAME] === "string") return false;
  return kind.identity.every((key) => same(olds[key], news[key]));
}

/**
 * Resources taken over (`adoptExisting`) in this process, by type and id. When a resource renamed in the program
 * adopts what the old one managed, the engine deletes the old one later in the same update: that delete must leave
 * the thing to its new owner.
 */
const adoptedThisRun = new Set<string>();

/**
 * The key is checked once per process and credentials (GET /auth/me), before the first check: a preview with a wrong
 * key fails at once, as the merge's `up` would, instead of passing. Diff stays without API calls.
 */
const verified = new WeakMap<LubesClient, Promise<void>>();
function verifyCredentials(client: LubesClient): Promise<void> {
  let verification = verified.get(client);
  if (!verification) verified.set(client, (verification = client.call(authEndpoints.me).then(() => undefined)));
  return verification;
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
  const kind: AnyKind = kindOf(type);
  return {
    configure(request: ConfigureRequest): Promise<void> {
      configureCredentials({ apiKey: request.config.get("lubes:apiKey"), apiUrl: request.config.get("lubes:apiUrl"), allowInsecureHttp: request.config.get("lubes:allowInsecureHttp") });
      return Promise.resolve();
    },
    async check(olds: Props | undefined, news: Props): Promise<{ inputs?: Props; failures: { property: string; reason: string }[] }> {
      await verifyCredentials(context().client);
      const named = autoName(kind, olds, news);
      const result = kind.check(strip(named), olds ? strip(olds) : undefined) as { inputs?: Props; failures: { property: string; reason: string }[] };
      // In a preview, an input that comes from a resource not yet made is unknown: it cannot be judged yet, and the
      // inputs go on as given. Failures of the inputs that are known still stop the preview.
      const unknown = Object.keys(named).filter((key) => named[key] === UNKNOWN);
      if (!result.inputs && unknown.length > 0) {
        const known = result.failures.filter((f) => !unknown.includes(f.property.split(".")[0] ?? ""));
        return known.length > 0 ? { failures: known } : { inputs: named, failures: [] };
      }
      // The autoname prefix travels with the inputs, so the next check keeps the same name.
      const inputs = result.inputs ? { ...result.inputs, ...(typeof named[AUTO_NAME] === "string" ? { [AUTO_NAME]: named[AUTO_NAME] } : {}) } : undefined;
      return { ...(inputs ? { inputs } : {}), failures: result.failures };
    },
    diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
      const result = kind.diff(id, strip(olds), strip(news));
      // State the plugin wrote, now under the dynamic host (a stack moved off the plugin): its outputs lack the
      // `__provider` that refresh and delete load, so an update must store it (an update that writes nothing).
      const movedFromPlugin = typeof news[PROVIDER_KEY] === "string" && olds[PROVIDER_KEY] === undefined;
      return Promise.resolve({ changes: result.changes || movedFromPlugin, replaces: result.replaces, deleteBeforeReplace: result.replaces.length > 0 && mustDeleteFirst(kind, olds, news) });
    },
    async create(inputs: Props): Promise<{ id: string; outs: Props }> {
      const created = await kind.create(context(), strip(inputs));
      if (created.adopted) adoptedThisRun.add(`${type} ${created.id}`);
      return { id: created.id, outs: withAutoName(defined(created.outs as Props), inputs) };
    },
    async read(id: string, props: Props): Promise<{ id: string; props: Props }> {
      const live = await kind.read(context(), id, strip(props));
      // An empty id tells the engine the resource is gone.
      return live ? { id: live.id, props: withAutoName(defined(live.outs as Props), props) } : { id: "", props: {} };
    },
    async update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
      // Only the stored `__provider` was missing (see diff): keep the outputs; the host adds it to them.
      if (!kind.diff(id, strip(olds), strip(news)).changes) return { outs: withAutoName(strip(olds), news) };
      return { outs: withAutoName(defined((await kind.update(context(), id, strip(olds), strip(news))) as Props), news) };
    },
    async delete(id: string, props: Props): Promise<void> {
      if (adoptedThisRun.delete(`${type} ${id}`)) {
        progress(`${kind.title} ${id} was taken over by another resource in this update (adoptExisting), so deleting this one leaves it in place`);
        return;
      }
      await kind.delete(context(), id, strip(props));
    },
  };
}

function withAutoName(outs: Props, from: Props): Props {
  return typeof from[AUTO_NAME] === "string" ? { ...outs, [AUTO_NAME]: from[AUTO_NAME] } : outs;
}
