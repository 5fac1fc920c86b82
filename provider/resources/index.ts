// The registry: every resource kind by its Pulumi type token. An unknown type fails loudly.
import { bucket } from "./bucket";
import { envVar } from "./env-var";
import type { ResourceKind } from "./kind";
import { organization } from "./organization";
import { project } from "./project";

export * from "./kind";
export { bucket, envVar, organization, project };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own input and output types
type AnyKind = ResourceKind<any, any>;

export const kinds: readonly AnyKind[] = [organization, project, envVar, bucket];
const byType = new Map(kinds.map((kind) => [kind.type, kind]));

export function kindOf(type: string): AnyKind {
  const kind = byType.get(type);
  if (!kind) throw new Error(`Unknown Lubes resource type "${type}"; known: ${[...byType.keys()].join(", ")}`);
  return kind;
}
