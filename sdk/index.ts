// `import * as lubes from "@lubes/pulumi"`: one class per Lubes resource kind, and the explicit provider.
export { Provider, type ProviderArgs } from "./provider";
export { Organization, type OrganizationArgs } from "./organization";
export { OrganizationMember, type OrganizationMemberArgs } from "./organization-member";
export { Project, type ProjectArgs } from "./project";
export { Branch, type BranchArgs } from "./branch";
export { Migration, type MigrationArgs } from "./migration";
export { Function, type FunctionArgs } from "./function";
export { Bucket, type BucketArgs } from "./bucket";
export { StorageObject, type StorageObjectArgs } from "./storage-object";
export { SignedUrl, type SignedUrlArgs } from "./signed-url";
export { Deployment, type DeploymentArgs } from "./deployment";
export { ProductionDeployment, type ProductionDeploymentArgs } from "./production-deployment";
export { EnvVar, type EnvVarArgs } from "./env-var";
export { DatabaseCopy, type DatabaseCopyArgs } from "./database-copy";
export * from "./lookups";
export { ProjectEnvironment, type EnvironmentSpec } from "./project-environment";
export { cloneEnvironment, type CloneOverrides } from "./clone";
