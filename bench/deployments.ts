// Benchmark: deployment builds shared between tenants. Project A queues 8 builds whose module takes a second to load;
// project B then queues one build of a quick function. Reported: how long B's build took to become ready, and how
// many of A's were ready by then (one run, embedded default).
// Usage: npm run bench:deployments
import { createOrg, createProject, signUp, startTestServer, type TestServer } from "../test/support/server";

const SLOW_BUILDS = 8;

async function main(): Promise<void> {
  const server: TestServer = await startTestServer("pglite");
  const owner = await signUp(server.api, "bench");
  const projectWith = async (name: string, source: string) => {
    const id = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, name)).id;
    await server.api.post(`/projects/${id}/functions`, { token: owner.token, body: { slug: "api", source } });
    await server.api.post(`/projects/${id}/functions/api/deploy`, { token: owner.token });
    return id;
  };
  const slow = await projectWith("A", "await new Promise((resolve) => setTimeout(resolve, 1000)); export default async () => new Response('a');");
  const quick = await projectWith("B", "export default async () => new Response('b');");
  const queue = async (id: string) => (await server.api.post(`/projects/${id}/deployments`, { token: owner.token, body: { environment: "preview" } })).body.id as string;
  const status = async (id: string, deployment: string) => (await server.api.get(`/projects/${id}/deployments/${deployment}`, { token: owner.token })).body.status as string;
  const slowBuilds: string[] = [];
  const started = performance.now();
  for (let i = 0; i < SLOW_BUILDS; i++) slowBuilds.push(await queue(slow));
  const queuedB = performance.now();
  const build = await queue(quick);
  while ((await status(quick, build)) !== "ready") await new Promise((resolve) => setTimeout(resolve, 20));
  const readyB = performance.now();
  const slowReady = (await Promise.all(slowBuilds.map((d) => status(slow, d)))).filter((s) => s === "ready").length;
  while ((await Promise.all(slowBuilds.map((d) => status(slow, d)))).some((s) => s !== "ready" && s !== "failed")) await new Promise((resolve) => setTimeout(resolve, 50));
  const allA = performance.now();
  await server.close();
  process.stdout.write([
    "| measure | value |",
    "|---|---:|",
    `| B's build: queued → ready | ${((readyB - queuedB) / 1000).toFixed(2)} s |`,
    `| A's builds ready when B's was | ${slowReady} of ${SLOW_BUILDS} |`,
    `| all of A's builds: first queued → last ready | ${((allA - started) / 1000).toFixed(2)} s |`,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
