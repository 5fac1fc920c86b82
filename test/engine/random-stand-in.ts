// A STAND-IN FOR THE `random` PROVIDER (@pulumi/random), FOR THE ENGINE HARNESS ONLY. The real provider is a Go
// plugin downloaded from GitHub, which these machines cannot reach; the examples use three of its resources, and the
// harness serves those here, in its own process, as the real provider behaves: values made once at create with
// node:crypto and kept in the state, every input change a replacement, nothing to read or delete remotely. The
// real-CLI runner never uses it: there `pulumi` installs and runs the real plugin.
//   RandomPassword  length, lower, upper, numeric, special (default true each), overrideSpecial, min* counts,
//                   keepers → result (a secret). bcryptHash is not made.
//   RandomString    the same inputs → result.
//   RandomId        byteLength, prefix, keepers → hex, b64Std, b64Url, dec, id.
import { randomBytes, randomInt } from "node:crypto";
import type { Host } from "../support/host";
import type { Props } from "./state";

export const RANDOM_TYPE_PREFIX = "random:index/";

const TYPES = {
  password: "random:index/randomPassword:RandomPassword",
  string: "random:index/randomString:RandomString",
  id: "random:index/randomId:RandomId",
} as const;

/** Outputs the real provider marks secret. */
export const randomSecretOutputs = (type: string): string[] => (type === TYPES.password ? ["result", "bcryptHash"] : []);

/** `urn:pulumi:<stack>::<project>::[<parent type>$]<type>::<name>` → the type. */
const typeOfUrn = (urn: string): string => (urn.split("::")[2] ?? "").split("$").at(-1) ?? "";

const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";
const CHARACTER_INPUTS = ["lower", "upper", "numeric", "special"] as const;

type Failure = { property: string; reason: string };

function checkCharacters(news: Props): { inputs: Props; failures: Failure[] } {
  const failures: Failure[] = [];
  const length = news["length"];
  if (typeof length !== "number" || !Number.isInteger(length) || length < 1) failures.push({ property: "length", reason: "length is required: a whole number of at least 1" });
  const inputs: Props = { ...news };
  for (const key of CHARACTER_INPUTS) inputs[key] = news[key] ?? true;
  for (const key of ["minLower", "minUpper", "minNumeric", "minSpecial"]) inputs[key] = news[key] ?? 0;
  if (CHARACTER_INPUTS.every((key) => inputs[key] === false)) failures.push({ property: "lower", reason: "at least one of lower, upper, numeric and special must be true" });
  return { inputs, failures };
}

/** A string of `length` characters, with at least each `min*` of its class, from the classes switched on. */
function characters(inputs: Props): string {
  const special = typeof inputs["overrideSpecial"] === "string" ? inputs["overrideSpecial"] : DEFAULT_SPECIAL;
  const classes = [
    { on: inputs["lower"], chars: "abcdefghijklmnopqrstuvwxyz", min: inputs["minLower"] },
    { on: inputs["upper"], chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min: inputs["minUpper"] },
    { on: inputs["numeric"], chars: "0123456789", min: inputs["minNumeric"] },
    { on: inputs["special"], chars: special, min: inputs["minSpecial"] },
  ].filter((c) => c.on !== false && c.chars.length > 0);
  const pick = (chars: string) => chars[randomInt(chars.length)] ?? "";
  const result = classes.flatMap((c) => Array.from({ length: Number(c.min ?? 0) }, () => pick(c.chars)));
  const all = classes.map((c) => c.chars).join("");
  while (result.length < Number(inputs["length"])) result.push(pick(all));
  // Shuffled, so the required characters are not always first (Fisher–Yates).
  for (let i = result.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [result[i], result[j]] = [result[j] ?? "", result[i] ?? ""];
  }
  return result.join("");
}

function check(type: string, news: Props): { inputs: Props; failures: Failure[] } {
  if (type === TYPES.password || type === TYPES.string) return checkCharacters(news);
  if (type === TYPES.id) {
    const byteLength = news["byteLength"];
    const ok = typeof byteLength === "number" && Number.isInteger(byteLength) && byteLength >= 1;
    return { inputs: { ...news }, failures: ok ? [] : [{ property: "byteLength", reason: "byteLength is required: a whole number of at least 1" }] };
  }
  return { inputs: news, failures: [{ property: "(type)", reason: `${type} is not one the harness's random stand-in serves (RandomPassword, RandomString, RandomId)` }] };
}

function make(type: string, inputs: Props): Props {
  if (type !== TYPES.id) return { ...inputs, result: characters(inputs) };
  const bytes = randomBytes(Number(inputs["byteLength"]));
  const prefix = typeof inputs["prefix"] === "string" ? inputs["prefix"] : "";
  const b64Url = bytes.toString("base64url");
  return {
    ...inputs, hex: prefix + bytes.toString("hex"), b64Std: prefix + bytes.toString("base64"), b64Url: prefix + b64Url,
    dec: prefix + BigInt(`0x${bytes.toString("hex")}`).toString(), id: b64Url,
  };
}

const OUTPUTS = ["result", "bcryptHash", "hex", "b64Std", "b64Url", "dec", "id"];
const inputsOf = (props: Props): Props => Object.fromEntries(Object.entries(props).filter(([key]) => !OUTPUTS.includes(key)));

/** The stand-in, with the harness's provider interface. */
export const randomStandIn: Host = {
  check: (urn, _olds, news) => Promise.resolve(check(typeOfUrn(urn), news)),
  diff(_urn, _id, olds, news) {
    const before = inputsOf(olds);
    const changed = [...new Set([...Object.keys(before), ...Object.keys(news)])].filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(news[key] ?? null));
    // Every input of the random provider forces a new value.
    return Promise.resolve({ changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false });
  },
  create: (urn, inputs) => Promise.resolve({ id: randomBytes(8).toString("hex"), outs: make(typeOfUrn(urn), inputs) }),
  read: (_urn, id, props) => Promise.resolve({ id, props }),
  update: (_urn, _id, olds, news) => Promise.resolve({ ...olds, ...news }),
  delete: () => Promise.resolve(),
  output: () => [],
  stop: () => Promise.resolve(),
};
