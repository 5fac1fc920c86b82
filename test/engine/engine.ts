// A TEST HARNESS THAT EMULATES THE PULUMI ENGINE, NOT THE PULUMI CLI. It runs a real Pulumi program in this process
// under `pulumi.runtime.setMocks`, forwards every registration of a Lubes resource to @pulumi/pulumi's real
// dynamic-provider host over gRPC, and keeps the stack's state by URN in a JSON file (secret fields sealed).
// `up`: check, then create, or diff and update, or replace (create before delete), then delete what the program no
// longer declares, newest first. `destroy`: delete everything, newest first.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Pulumi from "@pulumi/pulumi";
import { kindOf } from "../../provider/resources";
import { startHost, type Host } from "../support/host";

type Props = Record<string, unknown>;
const PROVIDER_KEY = "__provider";
const DYNAMIC = "pulumi-nodejs:dynamic/lubes:";

interface StateResource {
  urn: string;
  type: string;
  id: string;
  provider: string;
  inputs: Props;
  outputs: Props;
}

export interface RunResult {
  operations: { urn: string; op: "create" | "update" | "replace" | "same" | "delete" }[];
  outputs: Props;
}

// --- State file: secret fields (the kind's secret outputs) are sealed with a key from the passphrase.

const keyOf = (passphrase: string) => createHash("sha256").update(`lubes-harness:${passphrase}`).digest();

function seal(passphrase: string, value: unknown): Props {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(passphrase), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
}

function unseal(passphrase: string, sealed: Props): unknown {
  const data = Buffer.from(String(sealed["sealed"]), "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(passphrase), data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString("utf8")) as unknown;
}

const secretFields = (type: string): readonly string[] => kindOf(`lubes:index:${type.slice(DYNAMIC.length)}`).secretOutputs;

function transformSecrets(resource: StateResource, fn: (value: unknown) => unknown): StateResource {
  const map = (props: Props) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, secretFields(resource.type).includes(k) && v !== undefined ? fn(v) : v]));
  return { ...resource, inputs: map(resource.inputs), outputs: map(resource.outputs) };
}

export function loadState(file: string, passphrase: string): StateResource[] {
  if (!existsSync(file)) return [];
  const saved = JSON.parse(readFileSync(file, "utf8")) as { resources: StateResource[] };
  return saved.resources.map((r) => transformSecrets(r, (v) => unseal(passphrase, v as Props)));
}

function saveState(file: string, passphrase: string, resources: StateResource[]): void {
  writeFileSync(file, JSON.stringify({ version: 1, note: "lubes test harness state (not the Pulumi CLI's)", resources: resources.map((r) => transformSecrets(r, (v) => seal(passphrase, v))) }, null, 2));
}

export interface StackOptions {
  programDir: string;
  stateFile: string;
  passphrase: string;
  project: string;
  stack: string;
  /** Stack config, e.g. { "lubes:apiKey": …, "lubes:apiUrl": … } (also visible to the program). */
  config: Record<string, string>;
}

async function withHost<T>(options: StackOptions, fn: (host: Host) => Promise<T>): Promise<T> {
  const host = await startHost(options.programDir, options.config, {});
  try {
    return await fn(host);
  } finally {
    await host.stop();
  }
}

const withProvider = (r: StateResource, props: Props): Props => ({ ...props, [PROVIDER_KEY]: r.provider });

export async function up(options: StackOptions): Promise<RunResult> {
  const requireFromProgram = createRequire(path.join(options.programDir, "index.ts"));
  const pulumi = requireFromProgram("@pulumi/pulumi") as typeof Pulumi;
  const state = loadState(options.stateFile, options.passphrase);
  const byUrn = new Map(state.map((r) => [r.urn, r]));
  const operations: RunResult["operations"] = [];
  const declared = new Set<string>();
  let next = [...state];
  const record = (resource: StateResource, replacing?: StateResource) => {
    next = next.filter((r) => r !== replacing && r.urn !== resource.urn);
    next.push(resource);
  };

  return withHost(options, async (host) => {
    process.env["PULUMI_CONFIG"] = JSON.stringify(options.config);
    await pulumi.runtime.setMocks({
      call: () => ({}),
      newResource: async (args) => {
        if (!args.type.startsWith(DYNAMIC)) return { id: `${args.name}-id`, state: args.inputs as Props };
        const urn = `urn:pulumi:${options.stack}::${options.project}::${args.type}::${args.name}`;
        declared.add(urn);
        const news = args.inputs as Props;
        const provider = String(news[PROVIDER_KEY]);
        const old = byUrn.get(urn);
        const checked = await host.check(urn, old ? withProvider(old, old.inputs) : undefined, news);
        if (checked.failures.length > 0) throw new Error(`${urn}: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
        const inputs = { ...checked.inputs, [PROVIDER_KEY]: provider };
        const make = async () => {
          const created = await host.create(urn, inputs);
          return { urn, type: args.type, id: created.id, provider, inputs: checked.inputs, outputs: created.outs };
        };
        if (!old) {
          const created = await make();
          record(created);
          operations.push({ urn, op: "create" });
          return { id: created.id, state: created.outputs };
        }
        const diff = await host.diff(urn, old.id, withProvider(old, old.outputs), inputs);
        if (!diff.changes) {
          record({ ...old, inputs: checked.inputs });
          operations.push({ urn, op: "same" });
          return { id: old.id, state: old.outputs };
        }
        if (diff.replaces.length === 0) {
          const outputs = await host.update(urn, old.id, withProvider(old, old.outputs), inputs);
          record({ ...old, provider, inputs: checked.inputs, outputs });
          operations.push({ urn, op: "update" });
          return { id: old.id, state: outputs };
        }
        const created = await make();
        await host.delete(urn, old.id, withProvider(old, old.outputs));
        record(created, old);
        operations.push({ urn, op: "replace" });
        return { id: created.id, state: created.outputs };
      },
    }, options.project, options.stack, false);

    const exported = requireFromProgram("./index.ts") as Record<string, unknown>;
    await pulumi.runtime.disconnect();
    const outputs: Props = {};
    for (const [name, value] of Object.entries(exported)) {
      outputs[name] = pulumi.Output.isInstance(value) ? await (value as unknown as { promise(): Promise<unknown> }).promise() : value;
    }
    // What the program no longer declares goes, newest first (the reverse of the order resources were made in).
    for (const gone of [...next].reverse().filter((r) => !declared.has(r.urn))) {
      await host.delete(gone.urn, gone.id, withProvider(gone, gone.outputs));
      next = next.filter((r) => r !== gone);
      operations.push({ urn: gone.urn, op: "delete" });
    }
    saveState(options.stateFile, options.passphrase, next);
    return { operations, outputs };
  });
}

export async function destroy(options: StackOptions): Promise<RunResult> {
  const state = loadState(options.stateFile, options.passphrase);
  return withHost(options, async (host) => {
    const operations: RunResult["operations"] = [];
    for (const resource of [...state].reverse()) {
      await host.delete(resource.urn, resource.id, withProvider(resource, resource.outputs));
      operations.push({ urn: resource.urn, op: "delete" });
    }
    saveState(options.stateFile, options.passphrase, []);
    return { operations, outputs: {} };
  });
}
