// Clone an environment: read a live project and declare a faithful copy of it in another organization. Sensitive
// variables cannot be read back, so their values come from this stack's secrets; other variables can be overridden.
import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();

export = async () => {
  const spec = await lubes.cloneEnvironment(config.require("sourceProjectId"), {
    name: `${pulumi.getStack()} copy`,
    organizationId: config.require("targetOrganizationId"),
    env: {
      // Every sensitive variable of the source must be given here (the error lists the missing ones).
      DB_PASSWORD: config.requireSecret("dbPassword"),
      API_URL: config.get("apiUrl") ?? "https://staging.example.com",
    },
    // Buckets whose files stay behind (user uploads, say).
    skipObjectsOf: config.getObject<string[]>("skipObjectsOf") ?? [],
    // The database's rows too, when asked: copied once at `up`, at most `rowLimit` per table.
    copyData: config.getBoolean("copyData") ? { rowLimit: config.getNumber("rowLimit") ?? 10_000 } : false,
  });
  const environment = new lubes.ProjectEnvironment("copy", spec);
  return { projectId: environment.projectId, functionUrls: environment.functionUrls };
};
