// The registry: every resource kind by its Pulumi type token. An unknown type fails loudly.
import { branch } from "./branch";
import { bucket } from "./bucket";
import { databaseCopy } from "./database-copy";
import { deployment } from "./deployment";
import { envVar } from "./env-var";
import { lubesFunction } from "./function";
import type { ResourceKind } from "./kind";
import { migration } from "./migration";
import { organization } from "./organization";
import { organizationMember } from "./organization-member";
import { productionDeployment } from "./production-deployment";
import { project } from "./project";
import { signedUrl } from "./signed-url";
import { storageObject } from "./storage-object";

export * from "./kind";
export { branch, bucket, databaseCopy, deployment, envVar, lubesFunction, migration, organization, organizationMember, productionDeployment, project, signedUrl, storageObject };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own input and output types
type AnyKind = ResourceKind<any, any>;

export const kinds: readonly AnyKind[] = [
  organization, organizationMember, project, branch, migration, lubesFunction, bucket, storageObject, signedUrl, deployment, productionDeployment, envVar, databaseCopy,
];
const byType = new Map(kinds.map((kind) => [kind.type, kind]));

export function kindOf(type: string): AnyKind {
  const kind = byType.get(type);
  if (!kind) throw new Error(`Unknown Lubes resource type "${type}"; known: ${[...byType.keys()].join(", ")}`);
  return kind;
}
