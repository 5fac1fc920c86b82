// The provider's HTTP client: one LubesClient per API key and process, so its rate limiter sees every call.
import { createHash } from "node:crypto";
import { LubesClient, type ClientOptions } from "./client";
import type { Credentials } from "./credentials";

export * from "./client";
export * from "./credentials";
export * from "./errors";

const clients = new Map<string, LubesClient>();

/** The process-wide client for these credentials (keyed by a hash: the key itself is not kept as a map key). */
export function clientFor(credentials: Credentials, options?: ClientOptions): LubesClient {
  const id = `${credentials.apiUrl}\n${createHash("sha256").update(credentials.apiKey).digest("hex")}`;
  let client = clients.get(id);
  if (!client) {
    client = new LubesClient(credentials, options);
    clients.set(id, client);
  }
  return client;
}
