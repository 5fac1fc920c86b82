// What every SDK class shares: the base class that registers a resource through one of the two faces, and the
// dynamic provider it passes to Pulumi: a tiny shim whose methods load the provider core by package name when they
// run. Its serialized form (`__provider` in state) holds only the type string and these few lines, so it stays small,
// identical across releases, and free of credentials (pulumi/pulumi #5294, #8265, #18997).
import * as pulumi from "@pulumi/pulumi";
import type { dynamicProvider } from "../provider/dynamic";

type Core = ReturnType<typeof dynamicProvider>;
type Props = Record<string, unknown>;

/**
 * The shim of a type as a live object: what its `__provider` text (serializedProvider below) loads as in the
 * dynamic-provider host. The SDK writes that text itself; the tests serialize this object with Pulumi's own serializer
 * and compare, so the two cannot drift apart.
 */
export function providerFor(type: string): pulumi.dynamic.ResourceProvider {
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

/** providerFor's methods in the order Pulumi serializes them: each name, then its arrow function as compiled. */
const SHIM_METHODS: readonly (readonly [string, string])[] = [
  ["configure", "(request) => core().configure(request)"],
  ["check", "(olds, news) => core().check(olds, news)"],
  ["diff", "(id, olds, news) => core().diff(id, olds, news)"],
  ["create", "(inputs) => core().create(inputs)"],
  ["read", "(id, props) => core().read(id, props)"],
  ["update", "(id, olds, news) => core().update(id, olds, news)"],
  ["delete", "(id, props) => core().delete(id, props)"],
];

/** One function of Pulumi's closure serialization: `body` run with `captured` in scope, taking `arity` arguments. */
function serializedFunction(name: string, arity: number, captured: string, body: string): string {
  const params = Array.from({ length: arity }, (_, i) => `__${i}`).join(", ");
  return `function ${name}(${params}) {
  return (function() {
    with({ ${captured}, this: undefined, arguments: undefined }) {

return ${body};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
`;
}

/**
 * The `__provider` of a type: the text `pulumi.runtime.serializeFunction(() => providerFor(type))` makes, byte for
 * byte (test/unit/serialization.test.ts compares them), so stacks made by earlier releases see no change. Written
 * here rather than serialized at run time: Pulumi's serializer opens an inspector session and parses the functions,
 * about half a second of every program run (bench/RESULTS.md, "Engine harness").
 */
export function serializedProvider(type: string): string {
  // Pulumi numbers functions as it meets them (the provider object's __f0, `configure` __f1, the `core` it captures
  // __f2, then the other methods), and writes each function after those it captures.
  const methods = SHIM_METHODS.map(([method, fn], i) => ({ method, fn, name: `__f${i === 0 ? 1 : i + 2}` }));
  const arity = (fn: string) => (fn.slice(1, fn.indexOf(")")).match(/\w+/g) ?? []).length;
  return [
    "exports.handler = __f0;\n",
    `var __provider = {${methods.map((m) => `${m.method}: ${m.name}`).join(", ")}};\n`,
    serializedFunction("__f2", 0, `type: ${JSON.stringify(type)}`, `() => require("@lubes/pulumi/provider/dynamic").dynamicProvider(type)`),
    ...methods.map((m) => serializedFunction(m.name, arity(m.fn), "core: __f2", m.fn)),
    serializedFunction("__f0", 0, "provider: __provider", "() => provider"),
  ].join("\n");
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
