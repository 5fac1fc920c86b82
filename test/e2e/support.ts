// What every example's end-to-end test shares: a fresh lubes-server on a loopback port with a user and an API key,
// and the scenario run once through the engine harness and once through the real Pulumi CLI where it is on PATH.
import { describe, expect } from "vitest";
import { cliStack, harnessStack, pulumiOnPath, type ExampleOptions, type ExampleStack, type StackRun } from "../engine/runner";
import { createKey, signUp, startTestServer, type Api, type TestServer, type TestServerOptions, type TestUser } from "../support/server";

export interface ExampleServer {
  server: TestServer;
  api: Api;
  /** The user's access token, to check the server through the API (never through the provider). */
  token: string;
  /** The user who owns the stack's API key. */
  owner: TestUser;
  /** The stack config every example needs: the server's URL and the API key. */
  config: Record<string, string>;
  secret: string[];
  close(): Promise<void>;
}

export async function exampleServer(options: TestServerOptions = {}): Promise<ExampleServer> {
  const server = await startTestServer("pglite", options);
  const owner = await signUp(server.api, "stack-owner");
  const key = await createKey(server.api, owner.token, { name: "pulumi" });
  return { server, api: server.api, token: owner.token, owner, config: { "lubes:apiUrl": server.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"], close: () => server.close() };
}

export type MakeStack = (options: ExampleOptions) => Promise<ExampleStack>;

const CLI = pulumiOnPath();

/** Declares the example's scenario for the harness, and for the real CLI (skipped, visibly, without it). */
export function describeExample(title: string, scenario: (make: MakeStack) => void): void {
  if (!CLI) console.warn(`${title}: the real Pulumi CLI is not on PATH, so its run is skipped; the engine harness runs the same scenario.`);
  describe(`${title}, through the engine harness (test/engine: emulates the engine, not the Pulumi CLI)`, () => scenario((o) => Promise.resolve(harnessStack(o))));
  describe.skipIf(!CLI)(`${title}, through the real Pulumi CLI${CLI ? "" : " (skipped: pulumi is not on PATH on this machine)"}`, () => scenario(cliStack));
}

/** Every example's promise after an `up`: a preview with nothing to do. */
export function expectNoChanges(run: StackRun): void {
  expect({ create: run.summary.create, update: run.summary.update, replace: run.summary.replace, delete: run.summary.delete }, run.text).toEqual({ create: 0, update: 0, replace: 0, delete: 0 });
}

/** The steps of a run that change something, as `op name` (e.g. `update EnvVar::greeting`), sorted. */
export const changes = (run: StackRun): string[] =>
  run.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").slice(2).join("::").replace("pulumi-nodejs:dynamic/lubes:", "")}`).sort();

export const listOf = async <T = Record<string, unknown>>(api: Api, token: string, path: string): Promise<T[]> => {
  const res = await api.get(path, { token });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body.data as T[];
};
