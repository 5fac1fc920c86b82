// What every route and hook of lubes-server shares: the control-plane database, options, keys and mailer.
import type { ServerOptions } from "./config";
import type { ProjectDatabases } from "./databases/types";
import type { ReadCache } from "./db/read-cache";
import type { Sql } from "./db/sql";
import type { RateWindows } from "./http/rate-limit";
import { hmac } from "./services/crypto";
import { loadRootSecret } from "./services/root-key";
import type { SandboxPool } from "./functions/pool";
import type { InvocationSlots } from "./functions/slots";
import type { Mailer } from "./services/mailer";
import type { ObjectStore } from "./services/object-store";

export interface ServerContext {
  /** The control plane; its writes empty `cache`. */
  sql: Sql;
  /** Rows most requests read, kept while the embedded control plane is this process's alone (see db/read-cache.ts). */
  cache: ReadCache;
  /** Requests counted in the current rate-limit windows. */
  rateWindows: RateWindows;
  /** The projects' own databases (one per branch), apart from the control plane. */
  databases: ProjectDatabases;
  /** Object bytes of every project's storage. */
  objects: ObjectStore;
  /** Warm sandboxed processes of function versions. */
  sandboxes: SandboxPool;
  /** Function runs at once, overall and per project. */
  invocations: InvocationSlots;
  /** Builds queued deployments in the background. */
  builder: { kick(): void };
  options: ServerOptions;
  keys: {
    /** HS256 key of access tokens. */
    jwt: Uint8Array;
    /** Root of the keys that seal stored idempotent responses. */
    idempotency: Buffer;
    /** Seals environment variable values at rest. */
    envValues: Buffer;
    /** Derives the password of each project's PostgreSQL role. */
    dbRoles: Buffer;
    /** Signs storage URLs. */
    storageSigning: Buffer;
  };
  mailer: Mailer;
  /**
   * On shared PostgreSQL, this process's instance number (db/liveness.ts), recorded as the owner of the work it
   * claims; null on the embedded engine.
   */
  instance: number | null;
}

/** Each use of the root secret (see services/root-key.ts) gets its own key derived from it. */
export async function loadKeys(sql: Sql, options: Pick<ServerOptions, "dataDir" | "secretKey">): Promise<ServerContext["keys"]> {
  const root = await loadRootSecret(sql, options);
  return { jwt: new Uint8Array(hmac(root, "access-token")), idempotency: hmac(root, "idempotency"), envValues: hmac(root, "env-values"), dbRoles: hmac(root, "db-roles"), storageSigning: hmac(root, "storage-signing") };
}

/** The API's base URL as this request's client sees it, unless LUBES_PUBLIC_URL says otherwise. */
export function publicBaseUrl(ctx: ServerContext, request: { protocol: string; host: string }): string {
  return ctx.options.publicUrl ?? `${request.protocol}://${request.host}/v1`;
}

/**
 * A line for mail that links to a dashboard page, only when LUBES_PUBLIC_URL says where the server is: a link built
 * from the request's Host would let anyone who triggers the mail send its token to a host of their choosing.
 */
export function dashboardLinkLine(ctx: ServerContext, text: string, path: string): string {
  return ctx.options.publicUrl ? `${text} ${ctx.options.publicUrl.replace(/\/v1$/, "")}${path}\n\n` : "";
}

export const iso = (value: Date | string): string => new Date(value).toISOString();
export const isoOrNull = (value: Date | string | null | undefined): string | null => (value == null ? null : iso(value));
