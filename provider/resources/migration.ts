// Migration: applied once on create, in one transaction. Its SQL is immutable once applied: a changed SQL is refused
// at preview (check), with the advice to add a new migration. Destroying a migration touches the database only when
// a `down` SQL was given; the server keeps the record of what was applied either way.
import { createHash } from "node:crypto";
import { z } from "zod";
import { BranchSelector, Id, MigrationName, databaseEndpoints as api } from "../../contract";
import { STATE_VERSION, checkWith, diffInputs, findInPages, readOrGone, type OperationContext, type ResourceKind } from "./kind";

export const MigrationInputs = z.strictObject({
  projectId: Id,
  branch: BranchSelector.default("main"),
  name: MigrationName,
  sql: z.string().trim().min(1, "sql must not be empty"),
  /** SQL that undoes this migration, run when the resource is destroyed. Without it, destroy leaves the database as is. */
  down: z.string().trim().min(1).nullable().default(null),
});
export type MigrationInputs = z.output<typeof MigrationInputs>;

export interface MigrationOutputs extends MigrationInputs {
  migrationId: string;
  checksum: string;
  status: string;
  appliedAt: string | null;
  stateVersion: number;
}

type ApiMigration = { id: string; name: string; checksum: string; sql: string; status: string; applied_at: string | null };
const outputs = (live: ApiMigration, inputs: MigrationInputs): MigrationOutputs => ({
  ...inputs, sql: live.sql, migrationId: live.id, checksum: live.checksum, status: live.status, appliedAt: live.applied_at, stateVersion: STATE_VERSION,
});

const findMigration = (ctx: OperationContext, inputs: MigrationInputs): Promise<ApiMigration | undefined> =>
  findInPages((query) => ctx.client.call(api.listMigrations, { params: { id: inputs.projectId }, query: { ...query, branch: inputs.branch } }), (m) => m.name === inputs.name);

export const migration: ResourceKind<MigrationInputs, MigrationOutputs> = {
  type: "lubes:index:Migration",
  title: "Migration",
  replaceOnChanges: ["projectId", "branch", "name"],
  secretOutputs: [],
  importId: "<project id>/<branch>/<migration name>, e.g. proj_123/main/001_init",
  check(news, olds) {
    const result = checkWith(MigrationInputs, news);
    const inputs = result.inputs;
    const sameMigration = inputs && olds && olds.projectId === inputs.projectId && olds.name === inputs.name && (olds.branch ?? "main") === inputs.branch;
    if (inputs && sameMigration && olds.sql !== undefined && olds.sql.trim() !== inputs.sql) {
      return {
        failures: [{ property: "sql", reason: `migration "${inputs.name}" was applied, and applied SQL cannot change: put the change in a new Migration (with a new name) instead` }],
      };
    }
    return result;
  },
  diff: (_id, olds, news) => diffInputs(olds, news, ["projectId", "branch", "name", "sql", "down"], ["projectId", "branch", "name"]),
  async create(ctx, inputs) {
    ctx.log(`Applying migration "${inputs.name}" to branch "${inputs.branch}"…`);
    const applied = await ctx.client.call(api.runMigration, { params: { id: inputs.projectId }, body: { name: inputs.name, sql: inputs.sql, branch: inputs.branch } });
    return { id: `${inputs.projectId}/${inputs.branch}/${inputs.name}`, outs: outputs(applied, inputs) };
  },
  async read(ctx, id, olds) {
    const live = await readOrGone(() => findMigration(ctx, olds));
    if (!live) return undefined;
    const outs = outputs(live, olds);
    // The server never changes applied SQL; a differing checksum would be a migration re-made by hand.
    if (live.checksum !== createHash("sha256").update(olds.sql).digest("hex")) outs.sql = live.sql;
    return { id, outs };
  },
  // Only `down` can change in place (check refuses a changed SQL): it is the provider's own, so no call is made.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, down: news.down }),
  async delete(ctx, _id, olds) {
    if (!olds.down) return;
    ctx.log(`Reverting migration "${olds.name}" with its down SQL…`);
    await readOrGone(() => ctx.client.call(api.query, { params: { id: olds.projectId }, body: { query: olds.down ?? "", branch: olds.branch } }));
  },
};
