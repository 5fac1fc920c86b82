// The Lubes REST API as code: every endpoint's row, and the schemas behind them.
import { apiKeyEndpoints } from "./api-keys";
import { authEndpoints } from "./auth";
import type { Endpoint } from "./common";
import { organizationEndpoints } from "./organizations";
import { databaseEndpoints } from "./database";
import { deploymentEndpoints } from "./deployments";
import { envEndpoints } from "./env";
import { functionEndpoints } from "./functions";
import { devEndpoints, faultEndpoints, metaEndpoints } from "./meta";
import { projectEndpoints } from "./projects";
import { storageEndpoints } from "./storage";

export * from "./common";
export * from "./auth";
export * from "./api-keys";
export * from "./organizations";
export * from "./projects";
export * from "./meta";
export * from "./env";
export * from "./database";
export * from "./storage";
export * from "./functions";
export * from "./deployments";

export const API_VERSION_PREFIX = "/v1";

/** The endpoint table: every row the server serves and the OpenAPI document describes. */
export const endpoints: readonly Endpoint[] = [
  ...Object.values(authEndpoints),
  ...Object.values(apiKeyEndpoints),
  ...Object.values(organizationEndpoints),
  ...Object.values(projectEndpoints),
  ...Object.values(databaseEndpoints),
  ...Object.values(envEndpoints),
  ...Object.values(storageEndpoints),
  ...Object.values(functionEndpoints),
  ...Object.values(deploymentEndpoints),
  ...Object.values(metaEndpoints),
];

/** The rows a server serves: the dev outbox too with LUBES_DEV, fault switching too with LUBES_FAULTS. */
export const servedEndpoints = (served: { dev: boolean; faults: boolean }): readonly Endpoint[] => [
  ...endpoints,
  ...(served.dev ? Object.values(devEndpoints) : []),
  ...(served.faults ? Object.values(faultEndpoints) : []),
];
