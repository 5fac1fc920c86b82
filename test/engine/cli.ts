// The harness's command line, one command per process (a program runs once per process, as under the engine):
//   node --require test/engine/compile-ts.cjs test/engine/cli.ts <up|preview|refresh|destroy|output> <options.json> [flags]
// from the program's folder, with the flags of the Pulumi CLI it honours (FLAGS below), so a pipeline's command lines
// run here as written. It prints what it did for a person, then the result as JSON on the last line of stdout; like
// the CLI, it exits 1 when `--expect-no-changes` meets a change.
import { readFileSync } from "node:fs";
import { destroy, preview, refresh, stackOutputs, up, type RunResult, type StackOptions } from "./engine";

const BANNER = "lubes engine harness: a test harness emulating the Pulumi engine, not the Pulumi CLI";
const SYMBOL = { create: "+", update: "~", replace: "+-", delete: "-", same: " " } as const;
/** `urn:pulumi:dev::app::pulumi-nodejs:dynamic/lubes:Project::web` → `lubes:Project web`. */
const shortName = (urn: string) => {
  const [type = "", name = ""] = urn.split("::").slice(2);
  return `${type.replace("pulumi-nodejs:dynamic/", "")} ${name}`;
};

function describe(result: RunResult): string {
  const planned = result.command === "preview";
  const lines = [`${BANNER}`, `${result.command}:`];
  for (const step of result.steps) {
    if (step.op === "same") continue;
    lines.push(`  ${SYMBOL[step.op].padEnd(2)} ${shortName(step.urn).padEnd(40)} ${step.op}${step.changed?.length ? ` [${step.changed.join(", ")}]` : ""}`);
  }
  for (const drift of result.drift) lines.push(`  drift: ${shortName(drift.urn)} ${drift.change === "deleted" ? "was deleted outside Pulumi" : `changed outside Pulumi [${drift.fields.join(", ")}]`}`);
  if (result.diagnostics.length > 0) {
    lines.push("Diagnostics:");
    for (const line of result.diagnostics) lines.push(`    ${line}`);
  }
  if (Object.keys(result.outputs).length > 0) {
    lines.push("Outputs:");
    for (const [name, value] of Object.entries(result.outputs)) lines.push(`    ${name}: ${JSON.stringify(value)}`);
  }
  const s = result.summary;
  const verb = (n: number, what: string) => (n > 0 ? [`${n} ${planned ? `to ${what}` : `${what}d`}`] : []);
  const counts = [...verb(s.create, "create"), ...verb(s.update, "update"), ...verb(s.replace, "replace"), ...verb(s.delete, "delete"), `${s.same} unchanged`];
  lines.push(`Resources: ${counts.join(", ")}`);
  return lines.join("\n");
}

/** Bad usage, exit code 2: a flag the harness does not honour, another stack, a missing `--yes`. */
class UsageError extends Error {}

/** Flags that only change how the CLI displays a run: accepted, and the harness's display stays as it is. */
const DISPLAY_FLAGS = ["--non-interactive", "--suppress-progress", "--suppress-outputs", "--diff"];
/** The flags each command honours, beside `--stack <name>` and the display flags. */
const FLAGS: Record<string, string[]> = {
  preview: ["--expect-no-changes"],
  up: ["--yes", "--skip-preview", "--expect-no-changes"],
  refresh: ["--yes", "--skip-preview", "--preview-only", "--expect-no-changes"],
  destroy: ["--yes", "--skip-preview"],
  output: ["--show-secrets", "--json"],
};
const SHORT: Record<string, string> = { "-y": "--yes", "-s": "--stack" };

/** The Pulumi CLI's flags of one command line; anything the harness does not honour is refused, never ignored. */
function parseFlags(command: string, args: string[], stack: string): Set<string> {
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = SHORT[args[i] ?? ""] ?? args[i] ?? "";
    const [name = "", inline] = arg.split("=", 2);
    if (name === "--stack") {
      const value = inline ?? args[++i];
      if (value !== stack) throw new UsageError(`--stack ${value ?? "(missing)"}: this run's stack is "${stack}"`);
    } else if (name === "--color") {
      if (inline === undefined) i++;
    } else if (DISPLAY_FLAGS.includes(name) || FLAGS[command]?.includes(name)) {
      flags.add(name);
    } else {
      throw new UsageError(`${command}: the harness does not honour ${arg} (it honours ${[...(FLAGS[command] ?? []), ...DISPLAY_FLAGS, "--stack", "--color"].join(", ")})`);
    }
  }
  // The CLI in a pipeline is non-interactive: a command that changes the stack must be told to go ahead.
  const changing = command === "up" || command === "destroy" || (command === "refresh" && !flags.has("--preview-only"));
  if (changing && !flags.has("--yes") && !flags.has("--skip-preview") && process.env["PULUMI_SKIP_CONFIRMATIONS"] !== "true") {
    throw new UsageError("--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode");
  }
  return flags;
}

/** A run that changed (or would change) something: a step other than "same", or drift. */
const changed = (result: RunResult) => result.steps.some((step) => step.op !== "same") || result.drift.length > 0;

async function main(): Promise<number> {
  const [command = "", optionsFile, ...args] = process.argv.slice(2);
  const options = JSON.parse(readFileSync(optionsFile ?? "", "utf8")) as StackOptions;
  if (!(command in FLAGS)) throw new UsageError(`unknown command "${command}": use up, preview, refresh, destroy or output`);
  const flags = parseFlags(command, args, options.stack);
  if (command === "output") {
    process.stdout.write(`${JSON.stringify(stackOutputs(options, flags.has("--show-secrets")))}\n`);
    return 0;
  }
  const runs: Record<string, () => Promise<RunResult>> = {
    up: () => up(options),
    preview: () => preview(options),
    refresh: () => refresh(options, flags.has("--preview-only")),
    destroy: () => destroy(options),
  };
  const result = await (runs[command] as () => Promise<RunResult>)();
  process.stdout.write(`${describe(result)}\n${JSON.stringify(result)}\n`);
  if (flags.has("--expect-no-changes") && changed(result)) {
    process.stderr.write(`${BANNER}\nerror: no changes were expected but changes were proposed\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${BANNER}\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
