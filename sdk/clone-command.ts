#!/usr/bin/env node
// `lubes-clone`: the environment cloning of `cloneEnvironment` as a command for pipelines. It prints the spec of a
// copy as JSON, or writes a Pulumi program folder that declares it. Sensitive values never pass through it: the JSON
// names them in `sensitiveKeys`, and the written program reads them from its stack's secrets.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { PACKAGE_VERSION, clientFor, resolveCredentials, type LubesClient } from "../provider/client";
import { getProject } from "../provider/lookups";
import { DEFAULT_ROW_LIMIT, countRows, sourceTables } from "../provider/resources/database-copy";
import { readEnvironment, type SensitiveVariable } from "./clone";
import type { EnvironmentSpec } from "./project-environment";

const HELP = `Usage: lubes-clone <source-project-id> --name <new project name> [options]

Reads a live Lubes project and prints the spec of a copy as JSON on stdout, or writes a Pulumi program folder that
declares the copy (lubes.ProjectEnvironment). Copied: variables, functions with their source, buckets with their
files, the applied migrations of main in order, branches, and a production deployment; with --copy-data, the rows of
main's tables too (read from the source at \`pulumi up\`, in pages). Not copied: members, API keys, deployment history.

Options:
  --name <name>          the copy's project name (required)
  --org <id>             the organization of the copy (default: the source's)
  --set KEY=VALUE        a variable of the copy, replacing the source's or added (repeatable; not for sensitive
                         variables: their values come from the program's stack secrets)
  --skip-objects <name>  copy this bucket without its files (repeatable)
  --copy-data            copy the rows of main's tables as well (at \`pulumi up\`; the key must be allowed to query
                         the source)
  --row-limit <n>        with --copy-data, at most n rows of each table (default 10000)
  --out <folder>         write a program folder (Pulumi.yaml, package.json, tsconfig.json, index.ts) instead
  --api-url <url>        the Lubes API (default: LUBES_API_URL, else https://api.lubes.dev/v1)
  -h, --help             this text

The API key comes from LUBES_API_KEY. Progress goes to stderr.

Example:
  LUBES_API_KEY=lubes_... npx lubes-clone proj_123 --name staging --org org_456 --set API_URL=https://staging.example.com --out ./staging
  cd staging && npm install && pulumi stack init staging
  pulumi config set --secret DB_PASSWORD ...   # each sensitive variable the command lists
  pulumi up
`;

/** A failure a person can act on: printed without a stack, with exit code 2 for bad usage and 1 otherwise. */
class CommandError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

interface Options {
  source: string;
  name: string;
  org?: string;
  set: Record<string, string>;
  skipObjects: string[];
  out?: string;
  apiUrl?: string;
  copyData?: { rowLimit?: number };
}

function parse(argv: string[]): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: "string" }, org: { type: "string" }, set: { type: "string", multiple: true }, "skip-objects": { type: "string", multiple: true },
        out: { type: "string" }, "api-url": { type: "string" }, "copy-data": { type: "boolean" }, "row-limit": { type: "string" }, help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new CommandError(`${(error as Error).message}\nRun lubes-clone --help for the options.`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !positionals[0]) throw new CommandError("Give exactly one source project id, e.g. lubes-clone proj_123 --name staging (see --help)", 2);
  if (!values.name) throw new CommandError("--name is required: the copy's project name (see --help)", 2);
  const set: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new CommandError(`--set ${pair}: expected KEY=VALUE`, 2);
    set[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const rowLimit = values["row-limit"] === undefined ? undefined : Number(values["row-limit"]);
  if (rowLimit !== undefined && !(Number.isInteger(rowLimit) && rowLimit >= 1 && rowLimit <= 1_000_000)) throw new CommandError(`--row-limit ${values["row-limit"]}: expected a whole number from 1 to 1000000`, 2);
  if (rowLimit !== undefined && !values["copy-data"]) throw new CommandError("--row-limit applies only with --copy-data", 2);
  const copyData = values["copy-data"] ? { copyData: rowLimit === undefined ? {} : { rowLimit } } : {};
  return { source: positionals[0], name: values.name, set, ...copyData, skipObjects: values["skip-objects"] ?? [], ...(values.org ? { org: values.org } : {}), ...(values.out ? { out: values.out } : {}), ...(values["api-url"] ? { apiUrl: values["api-url"] } : {}) };
}

const progress = (message: string) => process.stderr.write(`lubes-clone: ${message}\n`);

/** A program folder that declares the copy; sensitive variables come from the stack's secrets. */
function writeProgram(folder: string, spec: EnvironmentSpec, sensitive: SensitiveVariable[], source: string): void {
  if (existsSync(path.join(folder, "Pulumi.yaml"))) throw new CommandError(`${folder} already holds a Pulumi program (Pulumi.yaml): choose an empty folder`);
  mkdirSync(folder, { recursive: true });
  const slug = spec.project.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "copy";
  writeFileSync(path.join(folder, "Pulumi.yaml"), `name: lubes-clone-${slug}\ndescription: "A copy of Lubes project ${source}, written by lubes-clone"\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
  writeFileSync(path.join(folder, "package.json"), `${JSON.stringify({ name: `lubes-clone-${slug}`, private: true, main: "index.ts", dependencies: { "@lubes/pulumi": `^${PACKAGE_VERSION}`, "@pulumi/pulumi": "^3.140.0" }, devDependencies: { "@types/node": "^20", typescript: "^5.9" } }, null, 2)}\n`);
  writeFileSync(path.join(folder, "tsconfig.json"), `${JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", moduleResolution: "node", skipLibCheck: true, types: ["node"] }, files: ["index.ts"] }, null, 2)}\n`);
  const secrets = sensitive.map((v) => `  { key: ${JSON.stringify(v.key)}, value: config.requireSecret(${JSON.stringify(v.key)}), sensitive: true, environments: ${JSON.stringify(v.environments)} },`).join("\n");
  writeFileSync(
    path.join(folder, "index.ts"),
    `// A copy of Lubes project ${source}, written by lubes-clone on ${new Date().toISOString()}. Run it again to write a
// fresh copy of the source; edit this one as any program.
import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();
const spec: lubes.EnvironmentSpec = ${JSON.stringify(spec, null, 2)};

// Sensitive variables: their values are this stack's secrets (\`pulumi config set --secret <KEY> <value>\`).
spec.env = [
  ...(spec.env ?? []),
${secrets}
];

const environment = new lubes.ProjectEnvironment("copy", spec);
export const projectId = environment.projectId;
export const functionUrls = environment.functionUrls;
`,
  );
}

/** A line per table the copy will read at \`pulumi up\`, with the rows it has now. */
async function reportRows(client: LubesClient, data: NonNullable<EnvironmentSpec["data"]>): Promise<void> {
  const ctx = { client, log: progress };
  const limit = data.rowLimit ?? DEFAULT_ROW_LIMIT;
  for (const table of await sourceTables(ctx, data.sourceProjectId, "main", data.tables ?? null)) {
    const rows = await countRows(ctx, data.sourceProjectId, "main", table);
    progress(`rows of ${table.name}: ${rows}${rows > limit ? ` (the first ${limit} will be copied)` : ""}`);
  }
  progress("the rows are copied at `pulumi up`, after the migrations");
}

export async function main(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (options === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const client = clientFor(resolveCredentials({ ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) }));
  try {
    return await cloneWith(client, options);
  } finally {
    // The client's keep-alive connections would hold the process open.
    await client.close();
  }
}

async function cloneWith(client: LubesClient, options: Options): Promise<number> {
  progress(`reading ${options.source}`);
  const source = await getProject(client, { id: options.source });
  const { spec, missing } = await readEnvironment(client, options.source, { name: options.name, organizationId: options.org ?? source.organizationId, env: options.set, skipObjectsOf: options.skipObjects, ...(options.copyData ? { copyData: options.copyData } : {}) });
  const setSensitive = Object.keys(options.set).filter((key) => spec.env?.some((v) => v.key === key && v.sensitive));
  if (setSensitive.length > 0) throw new CommandError(`--set ${setSensitive.join(", ")}: sensitive variables take their values from the program's stack secrets, never from the command line`, 2);
  const counts = `${(spec.env?.length ?? 0) + missing.length} variables, ${spec.functions?.length ?? 0} functions, ${spec.buckets?.length ?? 0} buckets (${spec.buckets?.reduce((n, b) => n + (b.objects?.length ?? 0), 0) ?? 0} files), ${spec.migrations?.length ?? 0} migrations, ${spec.branches?.length ?? 0} branches`;
  progress(`read ${counts}`);
  if (spec.data) await reportRows(client, spec.data);
  else progress("database rows are not copied (--copy-data copies them)");
  if (options.out) {
    writeProgram(options.out, spec, missing, options.source);
    progress(`wrote a program to ${options.out}`);
    if (missing.length > 0) progress(`before \`pulumi up\`, set each sensitive variable: ${missing.map((v) => `pulumi config set --secret ${v.key} <value>`).join("; ")}`);
  } else {
    process.stdout.write(`${JSON.stringify({ ...spec, sensitiveKeys: missing.map((v) => v.key) }, null, 2)}\n`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`lubes-clone: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = error instanceof CommandError ? error.exitCode : 1;
    },
  );
}
