// The provider plugin `lubes`, the face of the provider core that PulumiPlugin.yaml starts (for Python, Go, .NET and
// YAML programs, explicit providers, and `pulumi import`). It serves every kind through the same lifecycle as the
// dynamic resources (provider/dynamic.ts): only what differs between the faces is here: the type and the autoname
// come from the URN, secrets arrive and leave wrapped, and configuration arrives through a thin wrapper of the gRPC
// service, because @pulumi/pulumi's provider server answers Configure without passing it on.
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as pulumiProvider from "@pulumi/pulumi/provider";
import type * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { PACKAGE_VERSION, resolveCredentials, type CredentialSettings } from "./client";
import { AUTO_NAME, UNKNOWN, configureCredentials, dynamicProvider } from "./dynamic";
import { kindOf } from "./resources";
import { PROVIDER_CONFIG, packageSchema } from "./schema";


type Props = Record<string, unknown>;

/** How Pulumi marks a secret value on the wire (`runtime/rpc`'s special signature). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const isSecret = (value: unknown): value is { value: unknown } => typeof value === "object" && value !== null && (value as Props)[SIG_KEY] === SECRET_SIG;

/** The value with every secret wrapper removed, and whether it held one. */
function unwrap(value: unknown): [unknown, boolean] {
  if (isSecret(value)) return [unwrap(value.value)[0], true];
  if (Array.isArray(value)) {
    const items = value.map(unwrap);
    return [items.map(([item]) => item), items.some(([, secret]) => secret)];
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => [key, ...unwrap(item)] as const);
    return [Object.fromEntries(entries.map(([key, item]) => [key, item])), entries.some(([, , secret]) => secret)];
  }
  return [value, false];
}

/** Properties without secret wrappers, and the names of those that held a secret. */
export function reveal(props: Props | undefined): { plain: Props; secrets: Set<string> } {
  const plain: Props = {};
  const secrets = new Set<string>();
  for (const [key, value] of Object.entries(props ?? {})) {
    const [bare, secret] = unwrap(value);
    plain[key] = bare;
    if (secret) secrets.add(key);
  }
  return { plain, secrets };
}

/** Wraps the named properties as secrets, so the engine keeps them encrypted in state. */
export function conceal(props: Props, secrets: Iterable<string>): Props {
  const wrapped = { ...props };
  for (const key of secrets) if (key in wrapped && wrapped[key] !== undefined) wrapped[key] = { [SIG_KEY]: SECRET_SIG, value: wrapped[key] };
  return wrapped;
}

/** `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → the type and the logical name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  return { type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

const isEmpty = (props: Props | undefined) => !props || Object.keys(props).length === 0;

/** The lifecycle of every kind, as `@pulumi/pulumi/provider`'s `main` serves it. */
export const lubesProvider: pulumiProvider.Provider = {
  version: PACKAGE_VERSION,
  // Made when the engine asks (`pulumi package add`, codegen), not on every start of the plugin.
  getSchema: () => Promise.resolve(JSON.stringify(packageSchema(PACKAGE_VERSION))),

  async check(urn: string, olds: Props, news: Props) {
    const { type, name } = parseUrn(urn);
    const kind = kindOf(type);
    const given = reveal(news);
    // Programs in other languages send no autoname: the provider names the resource after its logical name, as
    // native providers do, and keeps the name once given.
    const rule = kind.autoName;
    const named = rule && given.plain[rule.property] === undefined && given.plain[AUTO_NAME] === undefined ? { ...given.plain, [AUTO_NAME]: name } : given.plain;
    const result = await dynamicProvider(type).check(isEmpty(olds) ? undefined : reveal(olds).plain, named);
    return { ...(result.inputs ? { inputs: conceal(result.inputs, [...given.secrets, ...kind.secretOutputs]) } : {}), failures: result.failures };
  },

  diff(id: string, urn: string, olds: Props, news: Props) {
    return dynamicProvider(parseUrn(urn).type).diff(id, reveal(olds).plain, reveal(news).plain);
  },

  async create(urn: string, inputs: Props) {
    const { type } = parseUrn(urn);
    const given = reveal(inputs);
    const created = await dynamicProvider(type).create(given.plain);
    return { id: created.id, outs: conceal(created.outs, [...given.secrets, ...kindOf(type).secretOutputs]) };
  },

  async read(id: string, urn: string, props: Props) {
    const { type } = parseUrn(urn);
    const kind = kindOf(type);
    const known = reveal(props);
    const live = await dynamicProvider(type).read(id, known.plain);
    if (!live.id) return { id: "", props: {} };
    const secrets = [...known.secrets, ...kind.secretOutputs];
    // The inputs that would make this state: what `pulumi import` writes into the program and checks.
    const inputKeys = [...Object.keys(kind.inputs.shape), AUTO_NAME];
    const inputs = Object.fromEntries(Object.entries(live.props).filter(([key]) => inputKeys.includes(key)));
    return { id: live.id, props: conceal(live.props, secrets), inputs: conceal(inputs, secrets) };
  },

  async update(id: string, urn: string, olds: Props, news: Props) {
    const { type } = parseUrn(urn);
    const given = reveal(news);
    const updated = await dynamicProvider(type).update(id, reveal(olds).plain, given.plain);
    return { outs: conceal(updated.outs, [...given.secrets, ...kindOf(type).secretOutputs]) };
  },

  delete(id: string, urn: string, props: Props) {
    return dynamicProvider(parseUrn(urn).type).delete(id, reveal(props).plain);
  },
};

/** The provider's settings from its properties (an explicit provider, or stack config `lubes:*`), without secrets' wrappers. */
export function settingsOf(properties: Props): CredentialSettings {
  const { plain } = reveal(properties);
  const text = (value: unknown) => (typeof value === "string" && value !== "" && value !== UNKNOWN ? value : undefined);
  const flag = plain["allowInsecureHttp"];
  return { apiKey: text(plain["apiKey"]), apiUrl: text(plain["apiUrl"]), allowInsecureHttp: typeof flag === "boolean" ? flag : text(flag) };
}

const ENGINE_PROPERTIES = new Set(["version", "pluginDownloadURL"]);

/** CheckConfig: every failure of the provider's settings, each naming its property, before anything runs. */
export function checkConfig(news: Props): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const { plain } = reveal(news);
  for (const key of Object.keys(plain)) {
    // The engine adds its own properties to every provider's (`version`, `pluginDownloadURL`, `__internal`).
    if (!ENGINE_PROPERTIES.has(key) && !key.startsWith("__") && !(key in PROVIDER_CONFIG)) failures.push({ property: key, reason: `${key} is not a setting of the Lubes provider (known: ${Object.keys(PROVIDER_CONFIG).join(", ")})` });
  }
  const key = plain["apiKey"];
  if (key !== undefined && key !== UNKNOWN && (typeof key !== "string" || key.trim() === "")) failures.push({ property: "apiKey", reason: "apiKey must be a non-empty string (a Lubes API key, `lubes_…`)" });
  const flag = plain["allowInsecureHttp"];
  if (flag !== undefined && flag !== UNKNOWN && typeof flag !== "boolean" && !(typeof flag === "string" && /^(true|false|1|0|yes|no)$/i.test(flag.trim()))) {
    failures.push({ property: "allowInsecureHttp", reason: "allowInsecureHttp must be true or false" });
  }
  const settings = settingsOf(news);
  if (settings.apiUrl !== undefined) {
    try {
      // The same rules as when an operation runs (the environment's opt-in included); the key is not needed here.
      resolveCredentials({ ...settings, apiKey: "unused" }, { LUBES_ALLOW_INSECURE_HTTP: process.env["LUBES_ALLOW_INSECURE_HTTP"] });
    } catch (error) {
      failures.push({ property: "apiUrl", reason: (error as Error).message.replace("lubes:apiUrl", "apiUrl") });
    }
  } else if (plain["apiUrl"] !== undefined && plain["apiUrl"] !== UNKNOWN) {
    failures.push({ property: "apiUrl", reason: "apiUrl must be a URL, for example https://api.lubes.dev/v1" });
  }
  return failures;
}

type Callback<T> = (error: grpcTypes.ServiceError | null, response?: T) => void;
type Call<T> = { request: T };
type ServiceImplementation = Record<string, (call: unknown, callback: unknown) => unknown>;

/**
 * The provider server's gRPC service with Configure, CheckConfig and DiffConfig of our own: Configure hands the
 * settings to the provider core, CheckConfig validates them (with failures naming the property), and DiffConfig says
 * that a changed setting never replaces resources (a new key or URL reaches the same resources).
 */
function withConfig(service: ServiceImplementation, proto: typeof provproto): ServiceImplementation {
  const wrapped = Object.create(service) as ServiceImplementation;
  wrapped["configure"] = (call: unknown, callback: unknown) => {
    const request = (call as Call<provproto.ConfigureRequest>).request;
    const args = request.getArgs()?.toJavaScript() as Props | undefined;
    const variables: Props = {};
    // Older engines send only `lubes:config:<name>` variables; newer ones send the properties as args as well.
    request.getVariablesMap().forEach((value: string, key: string) => (variables[key.replace(/^lubes:(config:)?/, "")] = value));
    configureCredentials(settingsOf(args && !isEmpty(args) ? args : variables));
    return service["configure"]?.call(wrapped, call, callback);
  };
  wrapped["checkConfig"] = (call: unknown, callback: unknown) => {
    const request = (call as Call<provproto.CheckRequest>).request;
    const response = new proto.CheckResponse();
    const news = request.getNews();
    if (news) response.setInputs(news);
    response.setFailuresList(
      checkConfig((news?.toJavaScript() ?? {}) as Props).map((failure) => {
        const item = new proto.CheckFailure();
        item.setProperty(failure.property);
        item.setReason(failure.reason);
        return item;
      }),
    );
    (callback as Callback<provproto.CheckResponse>)(null, response);
  };
  wrapped["diffConfig"] = (call: unknown, callback: unknown) => {
    const request = (call as Call<provproto.DiffRequest>).request;
    const olds = reveal(request.getOlds()?.toJavaScript()).plain;
    const news = reveal(request.getNews()?.toJavaScript()).plain;
    const changed = Object.keys(PROVIDER_CONFIG).filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
    const response = new proto.DiffResponse();
    response.setChanges(changed.length > 0 ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE);
    response.setDiffsList(changed);
    (callback as Callback<provproto.DiffResponse>)(null, response);
  };
  return wrapped;
}

/** Starts the plugin: `@pulumi/pulumi/provider`'s `main`, with our Configure, CheckConfig and DiffConfig. */
export async function serve(args: string[]): Promise<void> {
  // The modules of the program's own @pulumi/pulumi, so the service we wrap is the one its server registers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the peer dependency, loaded when the plugin starts
  const provider = require("@pulumi/pulumi/provider") as typeof pulumiProvider;
  const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/provider"));
  const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
  const proto = fromPulumi("../proto/provider_pb") as typeof provproto;
  const { ResourceProviderService } = fromPulumi("../proto/provider_grpc_pb") as { ResourceProviderService: grpcTypes.ServiceDefinition };
  const prototype = grpc.Server.prototype;
  const addService = Reflect.get<typeof prototype, "addService">(prototype, "addService");
  prototype.addService = function (this: grpcTypes.Server, service, implementation) {
    const served = service === ResourceProviderService ? withConfig(implementation as ServiceImplementation, proto) : implementation;
    return addService.call(this, service, served);
  };
  await provider.main(lubesProvider, args);
}
