// A TEST HARNESS THAT EMULATES THE PULUMI ENGINE; IT IS NOT THE PULUMI CLI. It runs a real Pulumi program in this
// process with a resource monitor of its own (pulumi's MockMonitor, with registration replaced), sends every Lubes
// resource over gRPC through @pulumi/pulumi's real dynamic-provider host (dynamic resources) or through the provider
// plugin started as the engine starts it (`lubes:index:*` resources, one plugin process per `lubes.Provider`, or the
// stack config for the default one), and keeps the stack's state by URN in a file (state.ts). The steps follow the
// engine's:
//   up       check (the old state found by URN or by an alias); then create, or diff and update, or replace
//            (inputs checked again without the old ones, as the engine does for new autonames; create before
//            delete, unless the provider or the resource asks delete-before-replace); then delete what the program
//            no longer declares and what was replaced, each after everything that depends on it. A read by id
//            (`get`) goes to the provider's read with the program's props, as the engine's read step does, and is
//            not kept in the state.
//   preview  check and diff only; what is not known yet reaches the program as unknown.
//   refresh  read every resource; report and record the drift (only report it, with previewOnly).
//   destroy  delete everything, each after its dependents.
// A failed step stops new steps; those in flight finish; the run ends. The `random` provider's few resources the
// examples use are served by a stand-in (random-stand-in.ts), never by the real-CLI runner.
import { randomUUID } from "node:crypto";
import Module, { createRequire } from "node:module";
import path from "node:path";
import type * as Pulumi from "@pulumi/pulumi";
import { kindOf } from "../../provider/resources";
import { startHost, startPlugin, type Host } from "../support/host";
import { RANDOM_TYPE_PREFIX, randomSecretOutputs, randomStandIn } from "./random-stand-in";
import { loadProject } from "./project";
import { summarize, type Drift, type Operation, type Step } from "./steps";
import { loadState, saveState, type Props, type StackState, type StateResource } from "./state";

const PROVIDER_KEY = "__provider";
const AUTO_NAME = "lubesAutoName";
const DYNAMIC = "pulumi-nodejs:dynamic/lubes:";
const PLUGIN = "lubes:index:";
/** An explicit provider's registration: kept in the state for the plugin resources that use it. */
const PROVIDER_TYPE = "pulumi:providers:lubes";
/** Pulumi's wire markers of a secret: its signature key and value. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** At most this many provider operations at once, like `pulumi up --parallel 16`. */
const PARALLEL = 16;

export interface StackOptions {
  /** The program's folder: Pulumi.yaml, Pulumi.<stack>.yaml, index.ts and node_modules. */
  programDir: string;
  stack: string;
  stateFile: string;
  /** Seals the state's secrets, as PULUMI_CONFIG_PASSPHRASE does for the CLI. */
  passphrase: string;
  /** Config by full key (`lubes:apiKey`, `<project>:plan`) over the stack file's, as `pulumi config set` adds. */
  config?: Record<string, string>;
  /** Keys of `config` set with `--secret`. */
  secretConfig?: string[];
}

/** The project's name and the stack's whole config. */
function resolve(options: StackOptions): { project: string; config: Record<string, string> } {
  const project = loadProject(options.programDir, options.stack);
  return { project: project.name, config: { ...project.config, ...options.config } };
}

export interface RunResult {
  command: "up" | "preview" | "refresh" | "destroy";
  steps: Step[];
  summary: Record<Operation, number>;
  drift: Drift[];
  /** The stack's outputs; secret ones are "[secret]", ones not known yet (preview) "[unknown]". */
  outputs: Props;
  /** What the provider processes wrote (progress lines), as the CLI shows under "Diagnostics". */
  diagnostics: string[];
}

export class EngineError extends Error {}

/** A step's failure as the engine reports it: the resource first, then what went wrong. */
function failedStep(urn: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(urn) ? (error as Error) : new EngineError(`${urn}: ${message}`);
}
const named = <T>(urn: string, step: Promise<T>): Promise<T> => step.catch((error: unknown) => Promise.reject(failedStep(urn, error)));

const isLubes = (type: string) => type.startsWith(DYNAMIC) || type.startsWith(PLUGIN) || type === PROVIDER_TYPE;
/** Lubes resources, and the few of the `random` provider its stand-in serves (random-stand-in.ts). */
const isServed = (type: string) => isLubes(type) || type.startsWith(RANDOM_TYPE_PREFIX);
const secretOutputsOf = (type: string): readonly string[] => (type.startsWith(RANDOM_TYPE_PREFIX) ? randomSecretOutputs(type) : kindOf(typeOf(type)).secretOutputs);
/** The kind's token, from either face's type. */
const typeOf = (type: string) => (type.startsWith(DYNAMIC) ? `${PLUGIN}${type.slice(DYNAMIC.length)}` : type);
/** A dynamic resource's props carry its serialized provider; a plugin resource's do not. */
const withProvider = (r: { type: string; provider: string }, props: Props): Props => (r.type.startsWith(DYNAMIC) ? { ...props, [PROVIDER_KEY]: r.provider } : props);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A counting semaphore: provider operations wait for a slot. */
function limiter(slots: number) {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free -= 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
}

/** Splits a registration's wire properties into plain values and the names of the secret ones. */
function unwrapSecrets(raw: Props): { props: Props; secrets: string[] } {
  const props: Props = {};
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const wrapped = value !== null && typeof value === "object" && (value as Props)[SIG_KEY] === SECRET_SIG;
    props[key] = wrapped ? (value as Props)["value"] : value;
    if (wrapped) secrets.push(key);
  }
  return { props, secrets };
}

/** The wire form of a resource's state for the program: secret properties wrapped as secrets. */
const wireState = (props: Props, secrets: readonly string[]): Props =>
  Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined).map(([k, v]) => [k, secrets.includes(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v]));

/** Properties the program's inputs changed, for the preview's display (the provider's diff decides). */
function changedKeys(olds: Props, news: Props): string[] {
  return Object.keys(news).filter((k) => k !== PROVIDER_KEY && k !== AUTO_NAME && !same(olds[k], news[k]));
}

class Stack {
  readonly state: StackState;
  private saveTimer: NodeJS.Timeout | undefined;
  /** How long the last save took: the next waits ten times as long, so saving stays a tenth of a run at any size. */
  private lastSaveMs = 0;

  /** `readOnly`: a run that changes nothing (`refresh --preview-only`) keeps the state file as it is. */
  constructor(readonly options: StackOptions, private readonly readOnly = false) {
    this.state = loadState(options.stateFile, options.passphrase);
  }

  find = (urn: string) => this.state.resources.find((r) => r.urn === urn && !r.pendingDelete);

  /** Moves a resource to a new URN (an alias matched), and every dependency on it. */
  rename(resource: StateResource, urn: string): StateResource {
    const moved = { ...resource, urn };
    this.state.resources = this.state.resources.map((r) =>
      r === resource ? moved : { ...r, dependencies: r.dependencies.map((d) => (d === resource.urn ? urn : d)) },
    );
    this.checkpoint();
    return moved;
  }

  /** Records a resource's new state, replacing what the state held for its URN (unless that awaits deletion). */
  put(resource: StateResource): void {
    this.state.resources = [...this.state.resources.filter((r) => r.urn !== resource.urn || r.pendingDelete), resource];
    this.checkpoint();
  }

  /** Swaps one entry of the state for another (a refreshed resource may share its URN with a replacement). */
  swap(resource: StateResource, next: StateResource): void {
    this.state.resources = this.state.resources.map((r) => (r === resource ? next : r));
    this.checkpoint();
  }

  remove(resource: StateResource): void {
    this.state.resources = this.state.resources.filter((r) => r !== resource);
    this.checkpoint();
  }

  /**
   * Like the engine's checkpoints: state reaches the file soon after every step (50 ms, or ten times the last save
   * for a state so large that saving it takes longer than 5 ms), so a crash loses only the last few.
   */
  checkpoint(): void {
    if (!this.readOnly) this.saveTimer ??= setTimeout(() => this.save(), Math.max(50, 10 * this.lastSaveMs));
  }

  save(): void {
    if (this.readOnly) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const started = performance.now();
    saveState(this.options.stateFile, this.options.passphrase, this.state);
    this.lastSaveMs = performance.now() - started;
  }
}

/** The Lubes settings of this process's environment, which the engine's provider processes inherit (a pipeline's key). */
const providerEnvironment = (): Record<string, string> =>
  Object.fromEntries(["LUBES_API_KEY", "LUBES_API_URL", "LUBES_ALLOW_INSECURE_HTTP"].map((name) => [name, process.env[name] ?? ""]));

/**
 * The provider processes of a run, started when first needed: the dynamic-provider host for dynamic resources, and a
 * plugin process per provider reference (`<urn>::<id>` of a `lubes.Provider`, configured with its properties; or ""
 * for the default provider, configured from the stack config), run in the program's folder as the engine runs them.
 */
class Hosts {
  private dynamic: Promise<Host> | undefined;
  private readonly plugins = new Map<string, Promise<Host>>();
  /** Explicit providers' properties by URN, as registered in this run (a preview keeps no state). */
  readonly providers = new Map<string, Props>();

  constructor(private readonly options: StackOptions, private readonly stack: Stack) {}

  for(resource: { type: string; provider: string }): Promise<Host> {
    if (resource.type.startsWith(RANDOM_TYPE_PREFIX)) return Promise.resolve(randomStandIn);
    if (resource.type.startsWith(DYNAMIC)) return (this.dynamic ??= startHost(this.options.programDir, resolve(this.options).config, {}, providerEnvironment()));
    let plugin = this.plugins.get(resource.provider);
    if (!plugin) this.plugins.set(resource.provider, (plugin = this.startPlugin(resource.provider)));
    return plugin;
  }

  /**
   * Starts, before the program runs, the processes the state says this run will need, as the engine loads the plugins
   * of a stack's providers first: their start-up (about a second) overlaps the program's. A process that fails to
   * start is reported by the step that uses it.
   */
  prestart(resources: readonly StateResource[]): void {
    const started: Promise<Host>[] = [];
    if (resources.some((r) => r.type.startsWith(DYNAMIC))) started.push(this.for({ type: DYNAMIC, provider: "" }));
    if (resources.some((r) => r.type.startsWith(PLUGIN) && r.provider === "")) started.push(this.for({ type: PLUGIN, provider: "" }));
    for (const host of started) host.catch(() => undefined);
  }

  private startPlugin(reference: string): Promise<Host> {
    const config = resolve(this.options).config;
    const urn = reference.split("::").slice(0, -1).join("::");
    const settings = reference ? (this.providers.get(urn) ?? this.stack.find(urn)?.inputs) : { apiKey: config["lubes:apiKey"], apiUrl: config["lubes:apiUrl"] };
    if (!settings) throw new EngineError(`provider ${reference} is neither declared by the program nor in the state`);
    const folder = path.dirname(createRequire(path.join(this.options.programDir, "index.ts")).resolve("@lubes/pulumi/package.json"));
    return startPlugin(settings, { folder, cwd: this.options.programDir, env: providerEnvironment() });
  }

  /** Stops every process, and returns what they wrote. */
  async stop(): Promise<string[]> {
    const started = [this.dynamic, ...this.plugins.values()].filter((host) => host !== undefined);
    const stopped = await Promise.all(started.map(async (promise) => {
      const host = await promise.catch(() => undefined);
      await host?.stop();
      return host?.output() ?? [];
    }));
    return stopped.flat();
  }
}

async function withHosts(options: StackOptions, stack: Stack, fn: (hosts: Hosts) => Promise<Omit<RunResult, "diagnostics">>): Promise<RunResult> {
  const hosts = new Hosts(options, stack);
  hosts.prestart(stack.state.resources);
  try {
    const result = await fn(hosts);
    return { ...result, diagnostics: await hosts.stop() };
  } catch (error) {
    await hosts.stop();
    throw error;
  }
}

/**
 * Deletes the given resources, each once every other one of them that depends on it is gone; independent ones in
 * parallel. What fails to delete stays in the state; the first failure is thrown after all others settled.
 */
async function deleteInOrder(stack: Stack, hosts: Hosts, doomed: StateResource[], steps: Step[], run: ReturnType<typeof limiter>): Promise<void> {
  const done = new Map<StateResource, Promise<void>>();
  const deleteOne = (resource: StateResource): Promise<void> => {
    let promise = done.get(resource);
    if (!promise) {
      const dependents = doomed.filter((r) => r.urn !== resource.urn && r.dependencies.includes(resource.urn));
      promise = Promise.all(dependents.map(deleteOne)).then(async () => {
        if (resource.protect) throw new EngineError(`${resource.urn} is protected: unprotect it (protect: false) before it can be deleted or replaced`);
        // An explicit provider only leaves the state, after every resource that used it.
        if (resource.type === PROVIDER_TYPE) return stack.remove(resource);
        if (!resource.retainOnDelete) await run(() => named(resource.urn, hosts.for(resource).then((host) => host.delete(resource.urn, resource.id, withProvider(resource, resource.outputs)))));
        stack.remove(resource);
        // A replaced resource's delete is part of its replace step, as the engine counts it.
        if (!resource.pendingDelete) steps.push({ urn: resource.urn, op: "delete" });
      });
      done.set(resource, promise);
    }
    return promise;
  };
  const results = await Promise.allSettled(doomed.map(deleteOne));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

interface Registration {
  urn: string;
  /** The URNs it may have had before (the `aliases` option). */
  aliases: string[];
  type: string;
  /** The provider reference (`<urn>::<id>`) of a plugin resource given a provider; "" for the default one. */
  provider: string;
  props: Props;
  secrets: string[];
  dependencies: string[];
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  protect: boolean;
  retainOnDelete: boolean;
}

/** What the engine answers the program for one registration. */
interface Answer {
  id: string;
  state: Props;
  secrets: string[];
}

// pulumi's generated protobuf modules and runtime settings have no types: what they answer is `any`.
type Callback = (error: unknown, response?: unknown) => void;

/** A read by id (`Resource.get`): the type, the id and the props the program sent. */
interface ReadRequest {
  urn: string;
  type: string;
  provider: string;
  id: string;
  props: Props;
  secrets: string[];
}

/** The URNs of a registration's aliases: given as URNs, or as specs (name, type, parent) relative to it. */
function aliasUrns(monitor: any, req: any): string[] {
  const urns: string[] = [...(req.getAliasurnsList() as string[])];
  for (const alias of req.getAliasesList() as any[]) {
    if (alias.getUrn()) {
      urns.push(alias.getUrn() as string);
      continue;
    }
    const spec = alias.getSpec();
    const parent = spec.getNoparent() ? "" : (spec.getParenturn() as string) || (req.getParent() as string);
    urns.push(monitor.newUrn(parent, (spec.getType() as string) || req.getType(), (spec.getName() as string) || req.getName()) as string);
  }
  return urns;
}

/** A registration refused because an earlier step of the run failed. */
class SkippedStep extends Error {
  constructor() {
    super("not run: an earlier step failed");
  }
}

/**
 * The steps of one program run, as the engine runs them: once a step fails, no new one starts, the ones in flight
 * finish, and the run ends without waiting for the rest of the program, whose registrations may wait forever on the
 * failed resource's outputs.
 */
class RunSteps {
  readonly failures: string[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private failedStep = false;
  private signalStop: () => void = () => undefined;
  /** Settles when a step has failed. */
  readonly stopped = new Promise<void>((resolve) => (this.signalStop = resolve));

  run<T>(step: () => Promise<T>): Promise<T> {
    if (this.failedStep) return Promise.reject(new SkippedStep());
    const running = step();
    this.inFlight.add(running);
    running.then(
      () => this.inFlight.delete(running),
      (error: unknown) => {
        this.inFlight.delete(running);
        this.failedStep = true;
        this.note(error);
        this.signalStop();
      },
    );
    return running;
  }

  /** A failure of the run (a step's, or the program's own); a skipped registration is none. */
  note(error: unknown): void {
    if (!(error instanceof SkippedStep)) this.failures.push(error instanceof Error ? error.message : String(error));
  }

  /** Waits for every step in flight, as the engine does before it ends a failed update. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/**
 * Replaces the mock monitor's registration (and read by id) of Lubes resources: each goes to `register` (or `read`),
 * and its answer back to the program as the engine would send it (secret properties marked). Other registrations
 * keep the mock's answer.
 */
function interceptRegistrations(requireFromPulumi: NodeJS.Require, register: (r: Registration) => Promise<Answer>, read: (r: ReadRequest) => Promise<Answer>, steps: RunSteps): void {
  const resproto = requireFromPulumi("./proto/resource_pb");
  const structproto = requireFromPulumi("google-protobuf/google/protobuf/struct_pb");
  const monitor = (requireFromPulumi("./runtime/settings") as { getMonitor(): any }).getMonitor();
  const mockRegister = monitor.registerResource.bind(monitor) as (req: any, callback: Callback) => void;
  monitor.registerResource = (req: any, callback: Callback) => {
    if (!isServed(String(req.getType())) || !req.getCustom()) return mockRegister(req, callback);
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName()) as string;
    const { props, secrets } = unwrapSecrets(req.getObject().toJavaScript() as Props);
    const parent = req.getParent() as string;
    const provider = String(req.getProvider() ?? "");
    // A plugin resource depends on its explicit provider, which is deleted after it.
    const providerUrn = provider ? [provider.split("::").slice(0, -1).join("::")] : [];
    steps.run(() => named(urn, register({
      urn, aliases: aliasUrns(monitor, req), type: req.getType(), provider, props, secrets: [...secrets, ...(req.getAdditionalsecretoutputsList() as string[])],
      dependencies: [...new Set([...(req.getDependenciesList() as string[]), ...(parent ? [parent] : []), ...providerUrn])],
      deleteBeforeReplace: req.getDeletebeforereplace(), ignoreChanges: req.getIgnorechangesList(), replaceOnChanges: req.getReplaceonchangesList(),
      protect: req.getProtect() === true, retainOnDelete: req.getRetainondelete() === true,
    }))).then(
      (answer) => {
        const response = new resproto.RegisterResourceResponse();
        response.setUrn(urn);
        response.setId(answer.id);
        response.setObject(structproto.Struct.fromJavaScript(wireState(answer.state, answer.secrets)));
        callback(null, response);
      },
      (error: unknown) => callback(error),
    );
  };
  const mockRead = monitor.readResource.bind(monitor) as (req: any, callback: Callback) => void;
  monitor.readResource = (req: any, callback: Callback) => {
    if (!isLubes(String(req.getType()))) return mockRead(req, callback);
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName()) as string;
    const { props, secrets } = unwrapSecrets(req.getProperties().toJavaScript() as Props);
    steps.run(() => named(urn, read({ urn, type: req.getType(), provider: String(req.getProvider() ?? ""), id: req.getId() as string, props, secrets: [...secrets, ...(req.getAdditionalsecretoutputsList() as string[])] }))).then(
      (answer) => {
        const response = new resproto.ReadResourceResponse();
        response.setUrn(urn);
        response.setProperties(structproto.Struct.fromJavaScript(wireState(answer.state, answer.secrets)));
        callback(null, response);
      },
      (error: unknown) => callback(error),
    );
  };
}

/**
 * @pulumi/pulumi loads TypeScript's compiler (a quarter of a second) for its closure serializer, which programs run
 * here seldom use (the SDK writes its `__provider` itself): it is loaded when first used instead. What a program sees
 * is unchanged; the harness's commands are that much cheaper.
 */
function deferTypeScript(requireFromPulumi: NodeJS.Require): void {
  let file: string;
  try {
    file = requireFromPulumi.resolve("typescript");
  } catch {
    return; // Pulumi falls back to a copy of its own.
  }
  if (require.cache[file]) return;
  let loaded: object | undefined;
  const real = (): object => {
    if (!loaded) {
      delete require.cache[file];
      loaded = requireFromPulumi(file) as object;
    }
    return loaded;
  };
  const deferred = new Module(file);
  deferred.filename = file;
  deferred.loaded = true;
  deferred.exports = new Proxy({}, { get: (_, key) => Reflect.get(real(), key) as unknown, has: (_, key) => Reflect.has(real(), key) });
  require.cache[file] = deferred;
}

/** Runs the program; `register` answers every registration of a Lubes resource. Returns the stack's outputs. */
async function runProgram(options: StackOptions, preview: boolean, register: (r: Registration) => Promise<Answer>, read: (r: ReadRequest) => Promise<Answer>): Promise<{ outputs: Props; secretOutputs: string[]; unknownOutputs: string[] }> {
  const requireFromProgram = createRequire(path.join(options.programDir, "index.ts"));
  deferTypeScript(createRequire(requireFromProgram.resolve("@pulumi/pulumi/package.json")));
  const pulumi = requireFromProgram("@pulumi/pulumi") as typeof Pulumi;
  const { project, config } = resolve(options);
  process.env["PULUMI_CONFIG"] = JSON.stringify(config);
  process.env["PULUMI_CONFIG_SECRET_KEYS"] = JSON.stringify(options.secretConfig ?? []);
  await pulumi.runtime.setMocks({ call: () => ({}), newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Props }) }, project, options.stack, preview);
  const steps = new RunSteps();
  interceptRegistrations(createRequire(requireFromProgram.resolve("@pulumi/pulumi/package.json")), register, read, steps);
  const failed = (error: unknown) => steps.note(error);
  process.on("unhandledRejection", failed);
  const finished = async () => {
    let exported: Record<string, unknown> = {};
    try {
      // As Pulumi's Node host runs a program: an exported function is called and a promise awaited (`export = async
      // () => { … }`); what it resolves to is the stack's outputs.
      const loaded: unknown = requireFromProgram("./index.ts");
      exported = ((await (typeof loaded === "function" ? (loaded as () => unknown)() : loaded)) ?? {}) as Record<string, unknown>;
    } catch (error) {
      failed(error);
    }
    await pulumi.runtime.disconnect().catch(failed);
    const outputs: Props = {};
    const secretOutputs: string[] = [];
    const unknownOutputs: string[] = [];
    for (const [name, value] of Object.entries(exported)) {
      if (!pulumi.Output.isInstance(value)) {
        outputs[name] = value;
        continue;
      }
      // Output's internals, as the language host reads them to export a stack's outputs.
      const output = value as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
      try {
        const [resolved, known, secret] = await Promise.all([output.promise(), output.isKnown, output.isSecret]);
        if (!known) unknownOutputs.push(name);
        else outputs[name] = resolved;
        if (secret) secretOutputs.push(name);
      } catch (error) {
        failed(error);
      }
    }
    return { outputs, secretOutputs, unknownOutputs };
  };
  // A failed step ends the run once the steps in flight are done, as the engine ends a failed update. The rest of the
  // program is abandoned, as the engine stops the program: its later rejections stay with the handler.
  const result = await Promise.race([finished(), steps.stopped.then(() => undefined)]);
  await steps.settle();
  if (result) process.off("unhandledRejection", failed);
  if (steps.failures.length > 0 || !result) throw new EngineError([...new Set(steps.failures)].join("\n"));
  return result;
}

function displayOutputs(outputs: Props, secretOutputs: string[], unknownOutputs: string[]): Props {
  const shown: Props = {};
  for (const [name, value] of Object.entries(outputs)) shown[name] = secretOutputs.includes(name) ? "[secret]" : value;
  for (const name of unknownOutputs) shown[name] = "[unknown]";
  return shown;
}

/** `up` (or `preview` with `preview: true`). */
export async function up(options: StackOptions, preview = false): Promise<RunResult> {
  const stack = new Stack(options);
  const steps: Step[] = [];
  const declared = new Set<string>();
  const replaced: StateResource[] = [];
  const run = limiter(PARALLEL);

  return withHosts(options, stack, async (hosts) => {
    const register = async (reg: Registration): Promise<Answer> => {
      declared.add(reg.urn);
      if (reg.type === PROVIDER_TYPE) return registerProvider(reg);
      const secrets = [...new Set([...reg.secrets, ...secretOutputsOf(reg.type)])];
      const provider = reg.type.startsWith(DYNAMIC) ? String(reg.props[PROVIDER_KEY]) : reg.provider;
      const host = await hosts.for({ type: reg.type, provider });
      let old = stack.find(reg.urn);
      const aliased = old ? undefined : reg.aliases.map(stack.find).find((r) => r !== undefined);
      // An alias matched: the resource keeps its state under its new URN, as the engine moves it (a preview only
      // says so: its old URN is not a delete).
      if (aliased) {
        declared.add(aliased.urn);
        old = preview ? aliased : stack.rename(aliased, reg.urn);
      }
      const news = { ...reg.props };
      // ignoreChanges: the engine keeps the old input, so the property never shows as a change.
      for (const key of reg.ignoreChanges) if (old && key in old.inputs) news[key] = old.inputs[key];
      const checked = await host.check(reg.urn, old ? withProvider(old, old.inputs) : undefined, news);
      if (checked.failures.length > 0) {
        throw new EngineError(`${reg.urn}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      }
      // The provider that later reads and deletes use: for a dynamic resource, the `__provider` its outputs hold.
      const record = (id: string, inputs: Props, outputs: Props, storedProvider = provider): StateResource => {
        const resource: StateResource = {
          urn: reg.urn, type: reg.type, id, provider: storedProvider, inputs, outputs, dependencies: reg.dependencies, secrets,
          protect: reg.protect, retainOnDelete: reg.retainOnDelete,
        };
        if (!preview) stack.put(resource);
        return resource;
      };
      const create = async (checkedInputs: Props): Promise<Answer> => {
        if (preview) return { id: "", state: checkedInputs, secrets };
        const created = await run(() => host.create(reg.urn, withProvider({ type: reg.type, provider }, checkedInputs)));
        record(created.id, checkedInputs, created.outs);
        return { id: created.id, state: created.outs, secrets };
      };

      if (!old) {
        steps.push({ urn: reg.urn, op: "create" });
        return create(checked.inputs);
      }
      const inputs = withProvider({ type: reg.type, provider }, checked.inputs);
      const diff = await host.diff(reg.urn, old.id, withProvider(old, old.outputs), inputs);
      const changed = changedKeys(old.outputs, checked.inputs);
      const replaces = [...new Set([...diff.replaces, ...reg.replaceOnChanges.filter((k) => changed.includes(k))])];
      if (!diff.changes && replaces.length === 0) {
        steps.push({ urn: reg.urn, op: "same" });
        // The engine keeps the old outputs, and with them the `__provider` they were written with (pulumi/pulumi#6238):
        // none, if the plugin wrote them. A plugin resource's provider reference is the new one.
        const kept = !reg.type.startsWith(DYNAMIC) ? provider : old.type.startsWith(DYNAMIC) ? old.provider : "";
        if (!preview) record(old.id, checked.inputs, old.outputs, kept);
        return { id: old.id, state: old.outputs, secrets };
      }
      if (replaces.length === 0) {
        steps.push({ urn: reg.urn, op: "update", changed });
        // In a preview the outputs the provider computes are not known yet: only the inputs are answered.
        if (preview) return { id: old.id, state: checked.inputs, secrets };
        const outputs = await run(() => host.update(reg.urn, old.id, withProvider(old, old.outputs), inputs));
        record(old.id, checked.inputs, outputs);
        return { id: old.id, state: outputs, secrets };
      }
      steps.push({ urn: reg.urn, op: "replace", changed: replaces });
      if (old.protect) throw new EngineError(`${reg.urn} is protected: it would be replaced (${replaces.join(", ")} changed); unprotect it first`);
      // The engine checks the inputs again without the old ones before a replacement, so defaults such as autonames
      // are made anew (pulumi/pulumi pkg/resource/deploy/step_generator.go).
      const fresh = await host.check(reg.urn, undefined, news);
      if (fresh.failures.length > 0) throw new EngineError(`${reg.urn}: ${fresh.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      if (preview) return create(fresh.inputs);
      if (diff.deleteBeforeReplace || reg.deleteBeforeReplace) {
        await run(async () => (await hosts.for(old)).delete(reg.urn, old.id, withProvider(old, old.outputs)));
        stack.remove(old);
        return create(fresh.inputs);
      }
      // Create before delete: the old one waits, marked in the state, for the deletes at the end.
      const waiting = { ...old, pendingDelete: true };
      stack.swap(old, waiting);
      replaced.push(waiting);
      return create(fresh.inputs);
    };

    /** An explicit provider: its properties are what its plugin process is configured with; it keeps its id. */
    const registerProvider = (reg: Registration): Answer => {
      const id = stack.find(reg.urn)?.id ?? randomUUID();
      hosts.providers.set(reg.urn, reg.props);
      if (!preview) {
        stack.put({ urn: reg.urn, type: reg.type, id, provider: "", inputs: reg.props, outputs: reg.props, dependencies: reg.dependencies, secrets: reg.secrets, protect: reg.protect, retainOnDelete: reg.retainOnDelete });
      }
      return { id, state: reg.props, secrets: reg.secrets };
    };

    // `Resource.get`: the provider reads the live resource by its id; nothing is kept in the state.
    const read = async (request: ReadRequest): Promise<Answer> => {
      const secretOutputs = secretOutputsOf(request.type);
      const host = await hosts.for({ type: request.type, provider: request.type.startsWith(DYNAMIC) ? String(request.props[PROVIDER_KEY]) : request.provider });
      const live = await run(() => host.read(request.urn, request.id, request.props));
      if (live.id === "") throw new EngineError(`${request.urn}: resource '${request.id}' does not exist`);
      return { id: live.id, state: live.props, secrets: [...new Set([...request.secrets, ...secretOutputs])] };
    };

    const deletes = () => {
      const doomed = [...replaced, ...stack.state.resources.filter((r) => !declared.has(r.urn) && !r.pendingDelete)];
      // Left over from an interrupted run: replaced resources still waiting to be deleted.
      for (const r of stack.state.resources) if (r.pendingDelete && !doomed.includes(r)) doomed.push(r);
      return doomed;
    };
    try {
      const program = await runProgram(options, preview, register, read);
      if (preview) {
        for (const r of deletes()) steps.push({ urn: r.urn, op: "delete" });
      } else {
        stack.state.outputs = program.outputs;
        stack.state.secretOutputs = program.secretOutputs;
        await deleteInOrder(stack, hosts, deletes(), steps, run);
      }
      return { command: preview ? "preview" : "up", steps, summary: summarize(steps), drift: [], outputs: displayOutputs(program.outputs, program.secretOutputs, program.unknownOutputs) };
    } finally {
      if (!preview) stack.save();
    }
  });
}

export const preview = (options: StackOptions) => up(options, true);

/**
 * Reads every resource; what changed outside Pulumi is reported and recorded, what is gone leaves the state. With
 * `previewOnly` (`pulumi refresh --preview-only`) it is only reported.
 */
export async function refresh(options: StackOptions, previewOnly = false): Promise<RunResult> {
  const stack = new Stack(options, previewOnly);
  const drift: Drift[] = [];
  const steps: Step[] = [];
  const run = limiter(PARALLEL);
  return withHosts(options, stack, async (hosts) => {
    try {
      await Promise.all(
        [...stack.state.resources].filter((resource) => resource.type !== PROVIDER_TYPE).map((resource) =>
          run(async () => {
            const live = await named(resource.urn, hosts.for(resource).then((host) => host.read(resource.urn, resource.id, withProvider(resource, resource.outputs))));
            if (live.id === "") {
              drift.push({ urn: resource.urn, change: "deleted", fields: [] });
              steps.push({ urn: resource.urn, op: "delete" });
              stack.remove(resource);
              return;
            }
            const keys = [...new Set([...Object.keys(resource.outputs), ...Object.keys(live.props)])];
            const fields = keys.filter((k) => k !== AUTO_NAME && !same(resource.outputs[k], live.props[k]));
            steps.push({ urn: resource.urn, op: fields.length > 0 ? "update" : "same", ...(fields.length > 0 ? { changed: fields } : {}) });
            if (fields.length > 0) {
              drift.push({ urn: resource.urn, change: "changed", fields });
              stack.swap(resource, { ...resource, id: live.id, outputs: live.props });
            }
          }),
        ),
      );
      const outputs = displayOutputs(stack.state.outputs, stack.state.secretOutputs, []);
      return { command: "refresh", steps, summary: summarize(steps), drift, outputs };
    } finally {
      stack.save();
    }
  });
}

export async function destroy(options: StackOptions): Promise<RunResult> {
  const stack = new Stack(options);
  const steps: Step[] = [];
  return withHosts(options, stack, async (hosts) => {
    try {
      await deleteInOrder(stack, hosts, [...stack.state.resources], steps, limiter(PARALLEL));
      stack.state.outputs = {};
      stack.state.secretOutputs = [];
      return { command: "destroy", steps, summary: summarize(steps), drift: [], outputs: {} };
    } finally {
      stack.save();
    }
  });
}

/** `pulumi stack output --json [--show-secrets]`. */
export function stackOutputs(options: StackOptions, showSecrets: boolean): Props {
  const state = loadState(options.stateFile, options.passphrase);
  return showSecrets ? state.outputs : displayOutputs(state.outputs, state.secretOutputs, []);
}

/** The resources of the stack as the state holds them, secrets in the clear (for tests only). */
export const stackResources = (options: StackOptions): StateResource[] => loadState(options.stateFile, options.passphrase).resources;

/** The URN a resource of a Lubes kind gets in a stack (no parent). */
export const urnOf = (options: StackOptions, kind: string, name: string) =>
  `urn:pulumi:${options.stack}::${resolve(options).project}::${DYNAMIC}${kind}::${name}`;
