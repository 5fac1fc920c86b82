// The lifecycle every resource kind implements, independent of how Pulumi calls it (dynamic provider or plugin),
// and the mechanics they share: input checking with zod, the pure diff, and the not-found conventions.
import type { z } from "zod";
import { ConflictError, NotFoundError, type LubesClient } from "../client";

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
  deleteBeforeReplace?: boolean;
}

export interface OperationContext {
  client: LubesClient;
  /** Progress of long operations (deploys, builds, branch copies), shown on the resource. */
  log: (message: string) => void;
}

export interface ResourceKind<I extends object, O extends object> {
  /** Pulumi type token, e.g. `lubes:index:Project`. */
  type: string;
  /** What a person calls it in messages, e.g. "Project". */
  title: string;
  /** Input properties whose change replaces the resource (immutable identity). */
  replaceOnChanges: readonly (keyof I & string)[];
  /** Output properties stored as Pulumi secrets. */
  secretOutputs: readonly string[];
  /** How `pulumi import` names an existing resource, e.g. `proj_123` or `proj_123/KEY`. */
  importId: string;
  /** Validates and normalises inputs before anything is sent; failures name the property. */
  check(news: unknown, olds?: Partial<I>): CheckResult<I>;
  /** Pure: compares checked inputs with the outputs of the last operation. No API call. */
  diff(id: string, olds: O, news: I): DiffResult;
  create(ctx: OperationContext, inputs: I): Promise<{ id: string; outs: O }>;
  /** The live state; undefined when the resource is gone (404). */
  read(ctx: OperationContext, id: string, olds: O): Promise<{ id: string; outs: O } | undefined>;
  update(ctx: OperationContext, id: string, olds: O, news: I): Promise<O>;
  /** A resource already gone (404) counts as deleted. */
  delete(ctx: OperationContext, id: string, olds: O): Promise<void>;
}

/** Parses `news` with the kind's input schema: zod issues become check failures naming the property. */
export function checkWith<S extends z.ZodType>(schema: S, news: unknown): CheckResult<z.output<S>> {
  const result = schema.safeParse(news ?? {});
  if (result.success) return { inputs: result.data, failures: [] };
  return {
    failures: result.error.issues.map((issue) => {
      const path = issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys] : issue.path;
      const property = path.map(String).join(".") || "(inputs)";
      return { property, reason: issue.code === "invalid_type" && issue.input === undefined ? `${property} is required` : `${property}: ${issue.message}` };
    }),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The pure diff: an input differs when its checked value differs from the one in the last outputs. Server-computed
 * values are outputs only, so they never show as changes.
 */
export function diffInputs<I extends object>(olds: Partial<I>, news: I, compared: readonly (keyof I & string)[], replaceOnChanges: readonly (keyof I & string)[]): DiffResult {
  // An optional input left out (a slug, say) is the server's to choose: leaving it out changes nothing.
  const changed = compared.filter((key) => news[key] !== undefined && !same(olds[key], news[key]));
  return { changes: changed.length > 0, replaces: changed.filter((key) => replaceOnChanges.includes(key)) };
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

/** A create that met an existing resource of the same name: say how to adopt it instead of failing obscurely. */
export function explainConflict(error: unknown, title: string, name: string): never {
  if (error instanceof ConflictError) {
    throw new Error(`${title} "${name}" already exists: set \`adoptExisting: true\` to bring it under management, or choose another name (${error.message})`, { cause: error });
  }
  throw error;
}
