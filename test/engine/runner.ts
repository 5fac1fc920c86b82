// Runs an example as a stack, for the end-to-end tests: through the engine harness (always), or through the real
// Pulumi CLI with a local file backend (only where `pulumi` is on PATH; the Automation API drives it). Both answer
// the same shape, so one scenario runs against either.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { programFolder } from "../support/program-folder";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { RunResult, StackOptions } from "./engine";
import { summarize, type Drift, type Operation, type Step } from "./steps";
import type { Props } from "./state";

const run = promisify(execFile);
/** Credentials reach a stack only from its config, unless a command's `env` sets them as a pipeline does. */
const NO_LUBES_ENV = { LUBES_API_KEY: "", LUBES_API_URL: "", LUBES_ALLOW_INSECURE_HTTP: "" };

export interface StackRun {
  steps: Step[];
  summary: Record<Operation, number>;
  drift: Drift[];
  outputs: Props;
  /** What a person would read. */
  text: string;
}

export interface ExampleStack {
  readonly folder: string;
  readonly via: "harness" | "pulumi";
  up(): Promise<StackRun>;
  preview(): Promise<StackRun>;
  refresh(): Promise<StackRun>;
  destroy(): Promise<StackRun>;
  /** The stack's outputs, secrets in the clear (`pulumi stack output --show-secrets`). */
  outputs(): Promise<Props>;
  setConfig(key: string, value: string, secret?: boolean): Promise<void>;
  /** Edits a file of the program: `from` must occur in it. */
  edit(file: string, from: string | RegExp, to: string): void;
  /**
   * Runs a `pulumi` command line as a pipeline writes it (the words after `pulumi`), in the program's folder, with
   * `env` added to the environment as a CI job sets it. The exit code is returned, not thrown.
   */
  pulumi(args: string[], env?: Record<string, string>): Promise<{ code: number; text: string }>;
  dispose(): void;
}

export interface ExampleOptions {
  /** A program folder laid out already, with its own node_modules (an installed tarball), used as it is; or… */
  folder?: string;
  /** …a folder under examples/ to copy… */
  example?: string;
  /** …and files to write over it (or instead of it): path → text. */
  files?: Record<string, string>;
  stack: string;
  /** Config by full key, set as `pulumi config set` would (`secret` ones with `--secret`). */
  config: Record<string, string>;
  secret?: string[];
}

export const pulumiOnPath = (): boolean => {
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

function editFile(folder: string, file: string, from: string | RegExp, to: string): void {
  const target = path.join(folder, file);
  const text = readFileSync(target, "utf8");
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`${file}: nothing matched ${String(from)}`);
  writeFileSync(target, edited);
}

function layOut(options: ExampleOptions): string {
  const folder = options.folder ?? programFolder(options.example);
  for (const [file, text] of Object.entries(options.files ?? {})) writeFileSync(path.join(folder, file), text);
  return folder;
}

/** The stack run through the engine harness (test/engine/cli.ts), one child process per command. */
export function harnessStack(options: ExampleOptions): ExampleStack {
  const folder = layOut(options);
  mkdirSync(path.join(folder, ".harness"));
  const optionsFile = path.join(folder, ".harness", "options.json");
  const stackOptions: StackOptions = {
    programDir: folder, stack: options.stack, stateFile: path.join(folder, ".harness", "state.json"), passphrase: randomBytes(16).toString("hex"),
    config: { ...options.config }, secretConfig: [...(options.secret ?? [])],
  };
  // It holds the stack's config, API key included, as a CLI's stack holds it: readable by its owner only.
  const save = () => writeFileSync(optionsFile, JSON.stringify(stackOptions), { mode: 0o600 });
  save();
  const harnessArgs = (command: string, args: string[]) => ["--require", path.join(__dirname, "compile-ts.cjs"), path.join(__dirname, "cli.ts"), command, optionsFile, ...args];
  const cli = async (command: string, ...args: string[]): Promise<string> => {
    try {
      // Asynchronous: the lubes-server under test runs in the test's own process.
      const { stdout } = await run(process.execPath, harnessArgs(command, args), { cwd: folder, env: { ...process.env, ...NO_LUBES_ENV }, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      // A plain error: the child's own stack frames must not reach the test runner.
      const failure = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`harness ${command} failed:\n${(failure.stderr ?? failure.message).slice(-4000)}`);
    }
  };
  const command = async (name: string): Promise<StackRun> => {
    // Non-interactive, as in a pipeline: a command that changes the stack says so.
    const stdout = await cli(name, ...(name === "preview" ? [] : ["--yes"]));
    const lines = stdout.trimEnd().split("\n");
    const result = JSON.parse(lines.at(-1) ?? "{}") as RunResult;
    return { steps: result.steps, summary: result.summary, drift: result.drift, outputs: result.outputs, text: lines.slice(0, -1).join("\n") };
  };
  return {
    folder,
    via: "harness",
    up: () => command("up"),
    preview: () => command("preview"),
    refresh: () => command("refresh"),
    destroy: () => command("destroy"),
    outputs: async () => JSON.parse(await cli("output", "--show-secrets")) as Props,
    setConfig: (key, value, secret = false) => {
      stackOptions.config = { ...stackOptions.config, [key]: value };
      stackOptions.secretConfig = [...(stackOptions.secretConfig ?? []).filter((k) => k !== key), ...(secret ? [key] : [])];
      save();
      return Promise.resolve();
    },
    edit: (file, from, to) => editFile(folder, file, from, to),
    async pulumi(args, env = {}) {
      const [command = "", ...flags] = args;
      const outcome = await run(process.execPath, harnessArgs(command, flags), { cwd: folder, env: { ...process.env, ...NO_LUBES_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof error.code === "number" ? error.code : 1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
      );
      // The result's JSON line is the harness's own; a person reads the rest.
      const text = outcome.stdout.trimEnd().split("\n").filter((line) => !line.startsWith("{")).join("\n");
      return { code: outcome.code, text: `${text}\n${outcome.stderr}`.trim() };
    },
    dispose: () => rmSync(folder, { recursive: true, force: true }),
  };
}

/**
 * The same stack through the real Pulumi CLI (Automation API, local file backend, passphrase secrets). Only where
 * `pulumi` is on PATH: it cannot be installed on the machines this repository is built on.
 */
export async function cliStack(options: ExampleOptions): Promise<ExampleStack> {
  const automation = await import("@pulumi/pulumi/automation");
  const folder = layOut(options);
  const backend = path.join(folder, ".pulumi-backend");
  mkdirSync(backend);
  const envVars = { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"), PULUMI_SKIP_UPDATE_CHECK: "true" };
  const stack = await automation.LocalWorkspace.createOrSelectStack({ stackName: options.stack, workDir: folder }, { envVars });
  for (const [key, value] of Object.entries(options.config)) await stack.setConfig(key, { value, secret: options.secret?.includes(key) ?? false });

  const OPS: Record<string, Operation | undefined> = { create: "create", update: "update", replace: "replace", delete: "delete", same: "same" };
  // Steps as the engine reports them; a refresh's outcome is in the outputs events, not the pre events.
  const collect = (source: "pre" | "outputs" = "pre") => {
    const steps: Step[] = [];
    const onEvent = (event: EngineEvent) => {
      const meta = source === "pre" ? event.resourcePreEvent?.metadata : event.resOutputsEvent?.metadata;
      const op = meta && OPS[meta.op];
      if (meta && op && meta.type.startsWith("pulumi-nodejs:dynamic/lubes:")) steps.push({ urn: meta.urn, op, ...(meta.diffs?.length ? { changed: meta.diffs } : {}) });
    };
    return { steps, onEvent };
  };
  const plainOutputs = (outputs: Record<string, { value: unknown; secret: boolean }>) =>
    Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
  return {
    folder,
    via: "pulumi",
    async up() {
      const { steps, onEvent } = collect();
      const result = await stack.up({ onEvent });
      return { steps, summary: summarize(steps), drift: [], outputs: plainOutputs(result.outputs), text: result.stdout };
    },
    async preview() {
      const { steps, onEvent } = collect();
      const result = await stack.preview({ onEvent });
      return { steps, summary: summarize(steps), drift: [], outputs: {}, text: result.stdout };
    },
    async refresh() {
      const { steps, onEvent } = collect("outputs");
      const result = await stack.refresh({ onEvent });
      const drift: Drift[] = steps.filter((s) => s.op === "update" || s.op === "delete").map((s) => ({ urn: s.urn, change: s.op === "delete" ? "deleted" : "changed", fields: s.changed ?? [] }));
      return { steps, summary: summarize(steps), drift, outputs: {}, text: result.stdout };
    },
    async destroy() {
      const { steps, onEvent } = collect();
      const result = await stack.destroy({ onEvent });
      return { steps, summary: summarize(steps), drift: [], outputs: {}, text: result.stdout };
    },
    outputs: async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value as unknown])),
    setConfig: (key, value, secret = false) => stack.setConfig(key, { value, secret }),
    edit: (file, from, to) => editFile(folder, file, from, to),
    async pulumi(args, env = {}) {
      const outcome = await run("pulumi", args, { cwd: folder, env: { ...process.env, ...NO_LUBES_ENV, ...envVars, ...env }, maxBuffer: 64 * 1024 * 1024 }).then(
        ({ stdout, stderr }) => ({ code: 0, text: `${stdout}\n${stderr}` }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof error.code === "number" ? error.code : 1, text: `${error.stdout ?? ""}\n${error.stderr ?? ""}` }),
      );
      return { code: outcome.code, text: outcome.text.trim() };
    },
    dispose: () => rmSync(folder, { recursive: true, force: true }),
  };
}
