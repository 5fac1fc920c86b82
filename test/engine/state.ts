// The harness's stack state: one JSON file holding every resource by URN (its inputs, outputs, dependencies and
// options) and the stack's outputs. Every secret value (a kind's secret outputs, a secret input, an
// additionalSecretOutputs entry, a secret stack output) is sealed with AES-256-GCM under a key derived from the
// stack's passphrase, as the Pulumi CLI's passphrase secrets provider does; nothing secret is written in plain text.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export type Props = Record<string, unknown>;

export interface StateResource {
  urn: string;
  type: string;
  id: string;
  /** The serialized dynamic provider (`__provider`), as the engine keeps it. */
  provider: string;
  inputs: Props;
  outputs: Props;
  /** URNs this resource depends on (its inputs' resources and `dependsOn`): deletes run after its dependents'. */
  dependencies: string[];
  /** Top-level properties whose values are secret. */
  secrets: string[];
  protect: boolean;
  retainOnDelete: boolean;
  /** Replaced (create before delete) and waiting for the deletes at the end of the run. */
  pendingDelete?: boolean;
}

export interface StackState {
  resources: StateResource[];
  outputs: Props;
  secretOutputs: string[];
}

const SALT = "lubes-engine-harness-state";
const keys = new Map<string, Buffer>();
const keyOf = (passphrase: string): Buffer => {
  let key = keys.get(passphrase);
  if (!key) keys.set(passphrase, (key = scryptSync(passphrase, SALT, 32)));
  return key;
};

const SEALED = "sealed:v1:";

function seal(passphrase: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(passphrase), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? "null", "utf8"), cipher.final()]);
  return SEALED + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function unseal(passphrase: string, sealed: unknown): unknown {
  if (typeof sealed !== "string" || !sealed.startsWith(SEALED)) throw new Error("state file: a secret value is not sealed");
  const data = Buffer.from(sealed.slice(SEALED.length), "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(passphrase), data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  try {
    return JSON.parse(Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString("utf8")) as unknown;
  } catch {
    throw new Error("state file: cannot decrypt its secrets (wrong passphrase?)");
  }
}

const mapSecrets = (props: Props, secrets: readonly string[], fn: (value: unknown) => unknown): Props =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, secrets.includes(k) && v !== undefined ? fn(v) : v]));

const mapResource = (r: StateResource, fn: (value: unknown) => unknown): StateResource => ({
  ...r,
  inputs: mapSecrets(r.inputs, r.secrets, fn),
  outputs: mapSecrets(r.outputs, r.secrets, fn),
});

export function loadState(file: string, passphrase: string): StackState {
  if (!existsSync(file)) return { resources: [], outputs: {}, secretOutputs: [] };
  const saved = JSON.parse(readFileSync(file, "utf8")) as StackState;
  const open = (v: unknown) => unseal(passphrase, v);
  return {
    resources: saved.resources.map((r) => mapResource(r, open)),
    outputs: mapSecrets(saved.outputs, saved.secretOutputs, open),
    secretOutputs: saved.secretOutputs,
  };
}

/**
 * Each resource's sealed JSON, made once: a state entry is never changed in place (a step replaces it), and a stack of
 * a thousand resources is saved again and again as its steps land, so sealing them all each time made saving grow
 * with the stack.
 */
const sealedEntries = new WeakMap<StateResource, { passphrase: string; json: string }>();

function sealedEntry(passphrase: string, resource: StateResource): string {
  const known = sealedEntries.get(resource);
  if (known?.passphrase === passphrase) return known.json;
  const json = JSON.stringify(mapResource(resource, (v) => seal(passphrase, v)));
  sealedEntries.set(resource, { passphrase, json });
  return json;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export function saveState(file: string, passphrase: string, state: StackState): void {
  const head = {
    version: 1,
    note: "state of the lubes engine harness (a test harness emulating the Pulumi engine, not the Pulumi CLI)",
    outputs: mapSecrets(state.outputs, state.secretOutputs, (v) => seal(passphrase, v)),
    secretOutputs: state.secretOutputs,
  };
  const text = `${JSON.stringify(head).slice(0, -1)},"resources":[\n${state.resources.map((r) => sealedEntry(passphrase, r)).join(",\n")}\n]}\n`;
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
