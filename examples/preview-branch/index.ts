// Preview branch: what a pull request gets while it is open. A copy of the project's main database as a branch, the
// pull request's own migrations (migrations/*.sql) applied to that copy only, and a preview deployment. CI makes one
// stack per pull request (`pr-<n>`), runs `up` on every push and `destroy` when the pull request closes.
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();
const projectId = config.require("projectId");
const pullRequest = config.requireNumber("pullRequest");

const branch = new lubes.Branch("database", { projectId, name: `pr-${pullRequest}`, parent: config.require("parentBranch") });

// In name order, each after the one before it, on the branch.
let last: pulumi.Resource = branch;
for (const file of readdirSync("migrations").filter((name) => name.endsWith(".sql")).sort()) {
  const name = path.basename(file, ".sql");
  last = new lubes.Migration(`migration-${name}`, {
    projectId,
    branch: branch.name,
    name,
    sql: readFileSync(path.join("migrations", file), "utf8"),
  }, { dependsOn: [last] });
}

// The preview deployment of the pull request's head; deleted with the stack (deployments are otherwise history).
const preview = new lubes.Deployment("preview", {
  projectId,
  environment: "preview",
  ref: `pr-${pullRequest}`,
  commit: config.get("commit"),
  deleteOnDestroy: true,
}, { dependsOn: [last] });

export const branchName = branch.name;
export const branchId = branch.branchId;
export const previewDeploymentId = preview.deploymentId;
export const previewStatus = preview.status;
