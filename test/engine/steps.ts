// What a run reports, shared by the harness (engine.ts) and the runners of both the harness and the real CLI.
export type Operation = "create" | "update" | "replace" | "delete" | "same";

export interface Step {
  urn: string;
  op: Operation;
  /** The properties whose change caused an update or replace. */
  changed?: string[];
}

export interface Drift {
  urn: string;
  /** `changed`: some outputs differ from the state; `deleted`: the resource is gone. */
  change: "changed" | "deleted";
  fields: string[];
}

/** How many steps of each kind, as the engine's summary line counts them. */
export function summarize(steps: Step[]): Record<Operation, number> {
  const summary: Record<Operation, number> = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
  for (const step of steps) summary[step.op] += 1;
  return summary;
}
