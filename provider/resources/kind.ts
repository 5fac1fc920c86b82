// The lifecycle every resource kind implements, independent of how Pulumi calls it (dynamic provider or plugin),
// and the mechanics they share: `defineKind` (check and diff derived from the kind's declaration), input checking
// with zod, the pure diff, the not-found and already-exists conventions, and import ids.
import type { z } from "zod";
import { ConflictError, NotFoundError, PreconditionFailedError, printable, type LubesClient, type LubesError } from "../client";

/** The first line of a server's text, safe for a terminal. */
export const printableLine = (text: string): string => printable(text.split("\n")[0] ?? "");

/** Written into every resource's outputs, so a later release can read state an earlier one wrote. */
export const STATE_VERSION = 1;

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult<I> {
  inputs?: I;
  failures: CheckFailure[];
}

export interface DiffResult {
  changes: boolean;
  /** Properties whose change forces a replacement. */
  replaces: string[];
}

export interface OperationContext {
  client: LubesClient;
  /** Progress of long operations (deploys, builds, branch copies), shown on the resource. */
  log: (message: string) => void;
}

export interface ResourceKind<I extends object, O extends object> {
  /** Pulumi type token, e.g. `lubes:index:Project`. */
  type: string;
  /** The input schema, as the program writes the inputs (before `check` adds computed ones). */
  inputs: z.ZodObject;
  /** The outputs the server computes (every input is an output too). */
  outputs: z.ZodObject;
  /** Inputs left out of the diff, each with its reason (used only at create, or diffed through a computed hash). */
  notDiffed?: Readonly<Record<string, string>>;
  /** Inputs `check` computes from others (a content hash), diffed in their place. */
  computed?: readonly (keyof I & string)[];
  /** What a person calls it in messages, e.g. "Project". */
  title: string;
  /** What it is: the package schema's description and the SDK class's doc comment. */
  description: string;
  /** A doc string for every input and output (but `stateVersion`), for the package schema and the SDK. */
  docs: Readonly<Record<string, string>>;
  /** Input properties whose change replaces the resource (immutable identity). */
  replaceOnChanges: readonly (keyof I & string)[];
  /**
   * The inputs that name it uniquely on the server, when a user can choose them (a bucket's project and name). A
   * replacement that keeps them must delete the old one first, or the new one's create would meet the old.
   */
  identity?: readonly (keyof I & string)[];
  /** The input named `<logical name>-<random>` when the program leaves it out (`slug`: lowercase, API-safe). */
  autoName?: { property: keyof I & string; slug: boolean };
  /** Output properties stored as Pulumi secrets. */
  secretOutputs: readonly string[];
  /** How `pulumi import` names an existing resource, e.g. `proj_123` or `proj_123/KEY`. */
  importId: string;
  /** Validates and normalises inputs before anything is sent; failures name the property. */
  check(news: unknown, olds?: Partial<I>): CheckResult<I>;
  /** Pure: compares checked inputs with the outputs of the last operation. No API call. */
  diff(id: string, olds: O, news: I): DiffResult;
  /** `adopted`: it existed already and was taken over (only with `adoptExisting`). */
  create(ctx: OperationContext, inputs: I): Promise<{ id: string; outs: O; adopted?: boolean }>;
  /**
   * The live state; undefined when the resource is gone (404). `olds` is empty when only the id is known (`import`,
   * `get`): the id then carries everything a read needs.
   */
  read(ctx: OperationContext, id: string, olds: Partial<O>): Promise<{ id: string; outs: O } | undefined>;
  update(ctx: OperationContext, id: string, olds: O, news: I): Promise<O>;
  /** A resource already gone (404) counts as deleted. */
  delete(ctx: OperationContext, id: string, olds: O): Promise<void>;
}

/** Parses `news` with the kind's input schema: zod issues become check failures naming the property. */
export function checkWith<S extends z.ZodType>(schema: S, news: unknown): CheckResult<z.output<S>> {
  const result = schema.safeParse(news ?? {});
  if (result.success) return { inputs: result.data, failures: [] };
  const known = "shape" in schema ? Object.keys(schema.shape as object) : [];
  return {
    failures: result.error.issues.flatMap((issue): CheckFailure[] => {
      if (issue.code === "unrecognized_keys") {
        // One failure per unknown key, each with its own path.
        return issue.keys.map((key) => {
          const property = [...issue.path.map(String), key].join(".");
          return { property, reason: `${property} is not a property of this resource${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}` };
        });
      }
      const property = issue.path.map(String).join(".") || "(inputs)";
      return [{ property, reason: issue.code === "invalid_type" && issue.input === undefined ? `${property} is required` : `${property}: ${issue.message}` }];
    }),
  };
}

/** Equal as JSON, with undefined and null alike. */
export const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The pure diff: an input differs when its checked value differs from the one in the last outputs. Server-computed
 * values are outputs only, so they never show as changes.
 */
export function diffInputs<I extends object>(olds: Partial<I>, news: I, compared: readonly (keyof I & string)[], replaceOnChanges: readonly (keyof I & string)[]): DiffResult {
  // An optional input left out (a slug, say) is the server's to choose: leaving it out changes nothing.
  const changed = compared.filter((key) => news[key] !== undefined && !same(olds[key], news[key]));
  return { changes: changed.length > 0, replaces: changed.filter((key) => replaceOnChanges.includes(key)) };
}

/** What a kind declares; `defineKind` derives its `check` (unless it has its own) and `diff` from it. */
export type KindSpec<I extends object, O extends object> = Omit<ResourceKind<I, O>, "check" | "diff"> & {
  /** A check of its own (reading a file, refusing changed SQL); by default the input schema's. */
  check?: ResourceKind<I, O>["check"];
};

/**
 * A kind from its declaration: every input of its schema is diffed unless `notDiffed` gives the reason, so a new
 * input cannot be left out of the diff by mistake.
 */
export function defineKind<I extends object, O extends object>(spec: KindSpec<I, O>): ResourceKind<I, O> {
  const notDiffed = spec.notDiffed ?? {};
  const unknownNotDiffed = Object.keys(notDiffed).filter((key) => !(key in spec.inputs.shape));
  if (unknownNotDiffed.length > 0) throw new Error(`${spec.type}: notDiffed names no input: ${unknownNotDiffed.join(", ")}`);
  const documented = new Set([...Object.keys(spec.inputs.shape), ...(spec.computed ?? []), ...Object.keys(spec.outputs.shape)].filter((key) => key !== "stateVersion"));
  const undocumented = [...documented].filter((key) => !spec.docs[key]);
  const unknownDocs = Object.keys(spec.docs).filter((key) => !documented.has(key));
  if (undocumented.length > 0 || unknownDocs.length > 0) throw new Error(`${spec.type}: docs missing for ${undocumented.join(", ") || "none"}; docs of no property: ${unknownDocs.join(", ") || "none"}`);
  const compared = [...Object.keys(spec.inputs.shape).filter((key) => !(key in notDiffed)), ...(spec.computed ?? [])] as (keyof I & string)[];
  return {
    ...spec,
    check: spec.check ?? ((news) => checkWith(spec.inputs, news) as CheckResult<I>),
    diff: (_id, olds, news) => diffInputs(olds, news, compared, spec.replaceOnChanges),
  };
}

/** Runs a read; a 404 means the resource is gone. */
export async function readOrGone<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** The first item `match` accepts, walking the pages of a list endpoint 100 at a time (for kinds without a GET). */
export async function findInPages<T>(
  fetchPage: (query: { limit: number; offset: number }) => Promise<{ data: T[]; pagination: { has_more: boolean } }>,
  match: (item: T) => boolean,
): Promise<T | undefined> {
  for (let offset = 0; ; offset += 100) {
    const page = await fetchPage({ limit: 100, offset });
    const found = page.data.find(match);
    if (found || !page.pagination.has_more) return found;
  }
}

/** Runs a delete; a 404 means it is already done. */
export async function deleteIgnoringGone(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

/**
 * Wraps a call whose 404 means the resource was removed outside Pulumi, with a message a person can act on
 * ("Project proj_1 not found (it may have been deleted outside Pulumi; run `pulumi refresh`)").
 */
export async function expectExisting<T>(title: string, id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new Error(`${title} ${id} not found (it may have been deleted outside Pulumi; run \`pulumi refresh\`)`, { cause: error });
    }
    throw error;
  }
}

/** The server's codes for "a thing of that name exists already". */
const ALREADY_EXISTS = new Set(["bucket_exists", "branch_exists", "function_exists", "already_member", "slug_taken", "already_exists"]);

/** Whether a create met something of the same name (a 409 of that kind, or a failed `If-None-Match: *`). */
export function isAlreadyExists(error: unknown): error is LubesError {
  return (error instanceof ConflictError || error instanceof PreconditionFailedError) && ALREADY_EXISTS.has(error.code);
}

/** What to do when a create meets a thing of the same name that this resource does not manage. */
export function alreadyExists(title: string, name: string, where: string, serverSaid?: LubesError): Error {
  return new Error(
    `${title} "${name}" already exists in ${where}, and this resource does not manage it. If you renamed this resource in your program, ` +
      `add \`aliases: [{ name: "<its previous name>" }]\` to its options so Pulumi keeps the one it made instead of creating it again; ` +
      `to take over one that no other resource manages, set \`adoptExisting: true\`; or choose another name` +
      (serverSaid ? ` (${serverSaid.message})` : ""),
    { cause: serverSaid },
  );
}

/** Adoption after a conflict found nothing to adopt: deleted meanwhile, or out of this key's sight. */
export function nothingToAdopt(title: string, name: string, where: string): Error {
  return new Error(`${title} "${name}" was reported to exist in ${where}, but this API key cannot find it, so it cannot be adopted (deleted meanwhile, or outside the key's scope): run \`pulumi up\` again, or use a key that can see it`);
}

/** A create that met an existing resource of the same name: explain it, by the server's error code only. */
export function explainConflict(error: unknown, title: string, name: string, where: string): never {
  if (isAlreadyExists(error)) throw alreadyExists(title, name, where, error);
  throw error;
}

type IdParts<N extends 1 | 2> = N extends 1 ? [string, string] : [string, string, string];

/**
 * Splits an import id (`proj_123/assets/logo.png`) into its parts: the first `leading` segments, then the rest
 * (which may hold `/`, as object keys and branch names do). Fails with the kind's id format.
 */
export function parseId<N extends 1 | 2>(id: string, leading: N, format: string): IdParts<N> {
  const segments = id.split("/");
  const parts = [...segments.slice(0, leading), segments.slice(leading).join("/")];
  if (segments.length <= leading || parts.some((part) => part === "")) throw new Error(`"${id}" is not an id of this kind: expected ${format}`);
  return parts as IdParts<N>;
}
