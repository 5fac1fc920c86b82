// The harness's command line, one command per process (a program runs once per process, as under the engine):
//   node --import <tsx's dist/loader.mjs> test/engine/cli.ts <up|preview|refresh|destroy|output> <options.json> [--show-secrets]
// from the program's folder. It prints what it did for a person, then the result as JSON on the last line of stdout.
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

async function main(): Promise<void> {
  const [command, optionsFile, flag] = process.argv.slice(2);
  const options = JSON.parse(readFileSync(optionsFile ?? "", "utf8")) as StackOptions;
  if (command === "output") {
    process.stdout.write(`${JSON.stringify(stackOutputs(options, flag === "--show-secrets"))}\n`);
    return;
  }
  const commands = { up, preview, refresh, destroy } as const;
  const run = commands[command as keyof typeof commands] as ((o: StackOptions) => Promise<RunResult>) | undefined;
  if (!run) throw new Error(`unknown command "${command}": use up, preview, refresh, destroy or output`);
  const result = await run(options);
  process.stdout.write(`${describe(result)}\n${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${BANNER}\nerror: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
