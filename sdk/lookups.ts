// Lookups for programs (and for the clone command): plain async functions that read what a Lubes project holds, and
// their `…Output` forms for arguments that are Pulumi outputs. Credentials: the options' `apiKey`/`apiUrl`, else the
// stack's `lubes:apiKey`/`lubes:apiUrl`, else LUBES_API_KEY/LUBES_API_URL. Sensitive variable values cannot be read
// back: `getEnvVars` returns them as null and lists their keys.
import * as pulumi from "@pulumi/pulumi";
import { clientFor, resolveCredentials, type LubesClient } from "../provider/client";
import * as core from "../provider/lookups";

export type { BranchInfo, BucketInfo, DeploymentInfo, EnvVarInfo, EnvVarsInfo, FunctionInfo, MigrationInfo, ObjectInfo, OrganizationInfo, ProjectInfo } from "../provider/lookups";

/** Which Lubes account a lookup reads with; by default the stack's config, then the environment. */
export interface LookupOptions {
  apiKey?: string;
  apiUrl?: string;
}

/** The client for these options: a key or URL given wins over the stack's config, which wins over the environment. */
export function lookupClient(options: LookupOptions = {}): LubesClient {
  const config = (key: string) => pulumi.runtime.getConfig(`lubes:${key}`);
  return clientFor(resolveCredentials({ apiKey: options.apiKey ?? config("apiKey"), apiUrl: options.apiUrl ?? config("apiUrl"), allowInsecureHttp: config("allowInsecureHttp") }));
}

/** An organization by id, or by slug among those the key can see. */
export const getOrganization = (args: { id: string } | { slug: string }, options?: LookupOptions) => core.getOrganization(lookupClient(options), args);

/** A project by id, or by its organization and slug. */
export const getProject = (args: { id: string } | { organizationId: string; slug: string }, options?: LookupOptions) => core.getProject(lookupClient(options), args);

/** The project's variables; sensitive ones with a null value, their keys in `sensitiveKeys`. */
export const getEnvVars = (args: { projectId: string }, options?: LookupOptions) => core.getEnvVars(lookupClient(options), args.projectId);

/** The project's functions with their current source. */
export const getFunctions = (args: { projectId: string }, options?: LookupOptions) => core.getFunctions(lookupClient(options), args.projectId);

/** The project's buckets, with their objects' keys, sizes, types and MD5s when `withObjects` is set. */
export const getBuckets = (args: { projectId: string; withObjects?: boolean }, options?: LookupOptions) =>
  core.getBuckets(lookupClient(options), args.projectId, { withObjects: args.withObjects ?? false });

/** The project's database branches. */
export const getBranches = (args: { projectId: string }, options?: LookupOptions) => core.getBranches(lookupClient(options), args.projectId);

/** A branch's migrations (default `main`) in the order they were applied, with their SQL. */
export const getMigrations = (args: { projectId: string; branch?: string }, options?: LookupOptions) =>
  core.getMigrations(lookupClient(options), args.projectId, args.branch === undefined ? {} : { branch: args.branch });

/** The project's deployments, newest first as the API lists them. */
export const getDeployments = (args: { projectId: string }, options?: LookupOptions) => core.getDeployments(lookupClient(options), args.projectId);

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The `…Output` form of a lookup: its arguments may be outputs, and so is its answer. */
function outputForm<A extends object, R>(lookup: (args: A, options?: LookupOptions) => Promise<R>) {
  return (args: Inputs<A>, options?: LookupOptions): pulumi.Output<R> => pulumi.output(args).apply((plain) => lookup(plain as A, options));
}

export const getOrganizationOutput = outputForm(getOrganization);
export const getProjectOutput = outputForm(getProject);
/** Variable values can be credentials: the whole answer is a secret. */
export const getEnvVarsOutput = (args: Inputs<{ projectId: string }>, options?: LookupOptions) => pulumi.secret(outputForm(getEnvVars)(args, options));
export const getFunctionsOutput = outputForm(getFunctions);
export const getBucketsOutput = outputForm(getBuckets);
export const getBranchesOutput = outputForm(getBranches);
export const getMigrationsOutput = outputForm(getMigrations);
export const getDeploymentsOutput = outputForm(getDeployments);
