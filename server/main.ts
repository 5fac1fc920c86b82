#!/usr/bin/env node
// lubes-server's entry: reads the environment, builds the app, bootstraps an empty data dir, listens.
import { existsSync } from "node:fs";
import { buildApp } from "./app";
import { bootstrap, credentialsPath } from "./bootstrap";
import { localUrl, readEnvironment } from "./config";

async function main(): Promise<void> {
  const started = Date.now();
  const { options, listen } = readEnvironment();
  const app = await buildApp(options);
  await app.listen({ port: listen.port, host: listen.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : listen.port;
  const apiUrl = options.publicUrl ?? localUrl(listen.host, port);
  const created = await bootstrap(app, apiUrl);
  const storage = options.databaseUrl ? "PostgreSQL (LUBES_DATABASE_URL)" : `embedded PGlite in ${options.dataDir}`;

  const lines = [``, `lubes-server is ready at ${apiUrl} (${storage}, started in ${Date.now() - started} ms)`, `Dashboard: ${dashboardUrl(apiUrl)}`];
  if (created) {
    lines.push(
      ``,
      `First start: created a dev account, organization and API key (saved in ${credentialsPath(options.dataDir ?? ".")}):`,
      `  email:           ${created.email}`,
      `  password:        ${created.password}`,
      `  organization_id: ${created.organization_id}`,
      `  api key:         ${created.api_key}`,
      ``,
      `Sign in to the dashboard with this email and password.`,
      `Try it:   curl -H "Authorization: Bearer ${created.api_key}" ${apiUrl}/projects`,
      `Pulumi:   pulumi config set lubes:apiUrl ${apiUrl} && pulumi config set --secret lubes:apiKey ${created.api_key}`,
    );
  } else if (options.dataDir && existsSync(credentialsPath(options.dataDir))) {
    lines.push(`Dev credentials: ${credentialsPath(options.dataDir)}`);
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      app.log.info(`${signal}: closing`);
      app.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

/** The dashboard is served at the root of the address the API is under. */
const dashboardUrl = (apiUrl: string): string => `${apiUrl.replace(/\/v1$/, "")}/`;

main().catch((error: unknown) => {
  process.stderr.write(`lubes-server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
