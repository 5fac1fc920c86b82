// The sandbox pool (server/functions/pool.ts) on its own: a run that finds no warm process of its version and
// variables takes a spare process started ahead of need, which holds no variables and no function until that run
// brings them; once taken, another spare of the same limits is started; closing the pool ends them all.
import { existsSync, readFileSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import { SandboxPool } from "../../server/functions/pool";
import { runFunction } from "../../server/functions/runtime";

const limits = { timeoutMs: 5_000, memoryMb: 96 };
const source = "export default async () => Response.json({ pid: process.pid, env: { ...process.env } });";
const request = { method: "GET", url: "http://127.0.0.1/invoke", headers: [] as [string, string][], body: null };
const pools: SandboxPool[] = [];
afterEach(() => pools.splice(0).forEach((pool) => pool.close()));

const run = async (pool: SandboxPool, key: string, env: Record<string, string>) => {
  const outcome = await runFunction({ source, request }, env, limits, { pool, key });
  if (outcome.kind !== "response") throw new Error(`${outcome.kind}: ${"message" in outcome ? outcome.message : ""}`);
  return JSON.parse(Buffer.from(outcome.body).toString()) as { pid: number; env: Record<string, string> };
};
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const running = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");

it("takes a spare started ahead of need for a run no warm process fits, and gives it only that run's variables", async () => {
  const pool = new SandboxPool();
  pools.push(pool);
  expect(pool.spare(limits)).toBeUndefined();
  const first = await run(pool, "version-1", { GREETING: "hello" });
  expect(first.env).toEqual({ GREETING: "hello" });

  // The first run of these limits needed a new process: a spare of them follows it.
  while (!pool.spare(limits)) await nextTurn();
  const spare = pool.spare(limits)?.child.pid;
  const second = await run(pool, "version-1-other-variables", { GREETING: "hi", OTHER: "2" });
  expect(second.pid).toBe(spare);
  expect(second.pid).not.toBe(first.pid);
  expect(second.env).toEqual({ GREETING: "hi", OTHER: "2" });

  // Taken, it is replaced; the warm process of the first run still serves its own version and variables.
  while (!pool.spare(limits) || pool.spare(limits)?.child.pid === spare) await nextTurn();
  expect((await run(pool, "version-1", { GREETING: "hello" })).pid).toBe(first.pid);

  const pids = [first.pid, second.pid, pool.spare(limits)?.child.pid ?? 0];
  pool.close();
  while (pids.some(running)) await nextTurn();
});
