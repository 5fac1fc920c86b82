// What every SDK class shares: the base class that registers a resource through one of the two faces, and the
// dynamic provider it passes to Pulumi: a tiny shim whose methods load the provider core by package name when they
// run. Its serialized form (`__provider` in state) holds only the type string and these few lines, so it stays small,
// identical across releases, and free of credentials (pulumi/pulumi #5294, #8265, #18997).
import * as pulumi from "@pulumi/pulumi";
import type { dynamicProvider } from "../provider/dynamic";

type Core = ReturnType<typeof dynamicProvider>;
type Props = Record<string, unknown>;

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * One shim per type for the whole program: Pulumi caches a provider's serialized form by the object, so each new
 * resource of a type reuses it instead of serializing the closure again (500 registrations: 5.6 s → 1.2 s).
 */
export function providerFor(type: string): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(type);
  if (!provider) providers.set(type, (provider = makeProvider(type)));
  return provider;
}

function makeProvider(type: string): pulumi.dynamic.ResourceProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from the program's node_modules at run time
  const core = (): Core => (require("@lubes/pulumi/provider/dynamic") as { dynamicProvider: (t: string) => Core }).dynamicProvider(type);
  return {
    configure: (request) => core().configure(request),
    check: (olds, news) => core().check(olds as Props | undefined, news as Props),
    diff: (id, olds, news) => core().diff(id, olds as Props, news as Props),
    create: (inputs) => core().create(inputs as Props),
    read: (id, props) => core().read(id, props as Props),
    update: (id, olds, news) => core().update(id, olds as Props, news as Props),
    delete: (id, props) => core().delete(id, props as Props),
  };
}

/** Adds the kind's secret outputs to the caller's options (pulumi/pulumi #3012, #6860). */
export function withSecrets(opts: pulumi.CustomResourceOptions | undefined, secrets: string[]): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secrets] };
}

/**
 * The SDK's autonaming: the logical name travels to the provider, which adds a random suffix once. A resource read by
 * id (`get`) names nothing.
 */
export const autoName = (name: string, explicit: unknown, opts?: pulumi.CustomResourceOptions): { lubesAutoName?: string } =>
  explicit === undefined && opts?.id === undefined ? { lubesAutoName: name } : {};

/**
 * The required inputs as undefined, spread before the program's args: Pulumi makes outputs only of the properties it
 * is given (pulumi/pulumi #12160), and `get` gives none of them.
 */
export const unset = (...names: string[]): Record<string, undefined> => Object.fromEntries(names.map((name) => [name, undefined]));

/** The provider a resource will use: its own, or one its parent holds for the package. */
function lubesProviderOf(type: string, opts: pulumi.CustomResourceOptions | undefined): pulumi.ProviderResource | undefined {
  const provider = opts?.provider ?? opts?.parent?.getProvider(type);
  // `pkg` is the ProviderResource's package (any class of it: ours, or an SDK `pulumi package add` generated).
  return provider && (provider as unknown as { pkg?: string }).pkg === "lubes" ? provider : undefined;
}

const serializedProviders = new Map<string, pulumi.Output<string>>();

/** The shim's serialized text as the dynamic resource's `__provider`, made once per type (as pulumi's cache does). */
function serializedProvider(type: string): pulumi.Output<string> {
  let text = serializedProviders.get(type);
  if (!text) {
    const provider = providerFor(type);
    serializedProviders.set(type, (text = pulumi.output(pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((serialized) => serialized.text))));
  }
  return text;
}

/**
 * The base of every SDK class. With a `lubes.Provider` (its own, or its parent's) a resource registers as
 * `lubes:index:<Kind>` and the provider plugin serves it; otherwise as the dynamic resource
 * `pulumi-nodejs:dynamic/lubes:<Kind>`, served from `__provider` without any plugin. Each face carries an alias of the
 * other's type, so giving a stack's resources a provider (or taking it away) moves them without replacing them.
 */
export abstract class LubesResource extends pulumi.CustomResource {
  protected constructor(type: string, name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions | undefined, secrets: string[]) {
    const dynamicType = `pulumi-nodejs:dynamic/lubes:${type.split(":")[2] ?? ""}`;
    const options = withSecrets(opts, secrets);
    if (lubesProviderOf(type, opts)) {
      // The plugin names an unnamed resource from its URN: the dynamic face's autoname input is not its property.
      const plugin = { ...props };
      delete plugin["lubesAutoName"];
      super(type, name, plugin, { ...options, aliases: [...(opts?.aliases ?? []), { type: dynamicType }] });
    } else {
      super(dynamicType, name, { ...props, __provider: serializedProvider(type) }, { ...options, aliases: [...(opts?.aliases ?? []), { type }] });
    }
  }
}
