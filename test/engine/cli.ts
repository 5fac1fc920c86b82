// Runs one harness command in its own process (programs must run outside vitest's transform):
//   node --import tsx test/engine/cli.ts <up|destroy> <options.json>
// and prints the result as JSON on the last line of stdout.
import { readFileSync } from "node:fs";
import { destroy, up, type StackOptions } from "./engine";

async function main(): Promise<void> {
  const [command, optionsFile] = process.argv.slice(2);
  const options = JSON.parse(readFileSync(optionsFile ?? "", "utf8")) as StackOptions;
  const result = command === "destroy" ? await destroy(options) : await up(options);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
