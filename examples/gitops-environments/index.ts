// GitOps environments: one program, one stack per environment. What differs between dev, staging and production is
// only config (Pulumi.<stack>.yaml, secrets set with `pulumi config set --secret`), so a pull request's `preview` on
// each stack shows exactly what merging it will change there.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();
const stage = pulumi.getStack();

// Each environment is its own organization: plans, members and rate limits stay apart. Organization slugs are unique
// on the whole server, so each gets a random suffix, made once and kept in the stack's state.
const plans = ["free", "pro", "team"] as const;
const suffix = new random.RandomId("org-suffix", { byteLength: 3 });
const org = new lubes.Organization("org", {
  name: `acme-${stage}`,
  slug: pulumi.interpolate`acme-${stage}-${suffix.hex}`,
  plan: config.require<(typeof plans)[number]>("plan", { allowedValues: [...plans] }),
});
const project = new lubes.Project("app", { organizationId: org.id, name: `app-${stage}`, slug: "app" });

const variables = [
  new lubes.EnvVar("stage", { projectId: project.id, key: "STAGE", value: stage }),
  new lubes.EnvVar("log-level", { projectId: project.id, key: "LOG_LEVEL", value: config.require("logLevel") }),
  new lubes.EnvVar("database-url", { projectId: project.id, key: "DATABASE_URL", value: config.requireSecret("databaseUrl"), sensitive: true }),
  // A webhook signing secret nobody has to invent: generated once per stack, a secret in state, never in a file.
  // Rotate it with `pulumi up --replace <the RandomPassword's URN>`.
  new lubes.EnvVar("webhook-secret", { projectId: project.id, key: "WEBHOOK_SECRET", value: new random.RandomPassword("webhook-secret", { length: 32, special: false }).result, sensitive: true }),
];

const api = new lubes.Function("api", {
  projectId: project.id,
  slug: "api",
  sourcePath: "functions/api.js",
  memoryMb: config.requireNumber("functionMemoryMb"),
});

new lubes.Bucket("uploads", { projectId: project.id, name: "uploads" });

// A release whenever the API's live version changes, made once the variables are in place.
const release = new lubes.Deployment("release", {
  projectId: project.id,
  ref: config.require("gitRef"),
  triggers: { api: api.liveVersion.apply((version) => String(version)) },
}, { dependsOn: variables });

// Production runs the latest release; set `rollbackTo` to an earlier releaseId and `up` rolls back to it.
const production = new lubes.ProductionDeployment("production", {
  projectId: project.id,
  deploymentId: config.get("rollbackTo") ?? release.deploymentId,
});

export const projectId = project.id;
export const apiUrl = api.invokeUrl;
export const releaseId = release.deploymentId;
export const productionDeploymentId = production.currentDeploymentId;
