// The app's API. `env` holds the project's production variables; DATABASE_URL and WEBHOOK_SECRET are sensitive and
// never logged.
export default async (request, env) =>
  Response.json({
    stage: env.STAGE, logLevel: env.LOG_LEVEL, version: 1,
    database: env.DATABASE_URL ? "configured" : "missing", webhookSecret: env.WEBHOOK_SECRET?.length === 32 ? "configured" : "missing",
  });
