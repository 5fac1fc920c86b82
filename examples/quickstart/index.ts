// Quickstart: everything a small app needs on Lubes, declared in one program.
import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();

const org = new lubes.Organization("acme", { plan: "free" });
const project = new lubes.Project("web", { organizationId: org.id });

// Variables: the function sees them as its `env` argument. A sensitive value is never shown again by the API and is
// a secret in the stack's state.
const greeting = new lubes.EnvVar("greeting", { projectId: project.id, key: "GREETING", value: "Hello" });
const apiToken = new lubes.EnvVar("api-token", { projectId: project.id, key: "API_TOKEN", value: config.requireSecret("apiToken"), sensitive: true });

// Storage: a bucket, a file in it, and a link that downloads the file without a key for a day.
const assets = new lubes.Bucket("assets", { projectId: project.id, name: "assets", forceDestroy: true });
const welcome = new lubes.StorageObject("welcome", { projectId: project.id, bucket: assets.name, key: "docs/welcome.txt", sourcePath: "files/welcome.txt" });
const welcomeLink = new lubes.SignedUrl("welcome-link", { projectId: project.id, bucket: welcome.bucket, key: welcome.key, expiresInSeconds: 24 * 3600 });

// Database: a migration on main, and a `dev` branch that copies main once it is migrated.
const notes = new lubes.Migration("notes", {
  projectId: project.id,
  name: "001_notes",
  sql: "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
  down: "DROP TABLE notes",
});
new lubes.Branch("dev", { projectId: project.id, name: "dev" }, { dependsOn: [notes] });

// A function from a file: editing the file deploys a new version.
const hello = new lubes.Function("hello", { projectId: project.id, slug: "hello", sourcePath: "functions/hello.js" });

// A release of what runs now; a new one whenever the function's live version changes.
const release = new lubes.Deployment("release", {
  projectId: project.id,
  ref: "main",
  triggers: { hello: hello.liveVersion.apply((version) => String(version)) },
}, { dependsOn: [greeting, apiToken] });

export const projectId = project.id;
export const functionUrl = hello.invokeUrl;
export const welcomeUrl = welcomeLink.url;
export const deploymentId = release.deploymentId;
