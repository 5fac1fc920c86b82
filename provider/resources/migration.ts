// Migration: applied once on create, in one transaction. Its SQL is immutable once applied: a changed SQL is refused
// at preview (check), with the advice to add a new migration. Destroying a migration touches the database only when
// a `down` SQL was given: the server then reverts it (runs `down`, forgets the record); without one, the schema and
// the record stay. A migration of that name already applied on the branch (the server answers 200 instead of 201) is
// refused unless `adoptExisting` is set: otherwise a resource renamed in the program without an alias would take it
// over, and the old resource's delete would run its `down` SQL.
import { createHash } from "node:crypto";
import { z } from "zod";
import { BranchSelector, Id, MigrationName, databaseEndpoints as api } from "../../contract";
import { STATE_VERSION, alreadyExists, checkWith, defineKind, deleteIgnoringGone, parseId, readOrGone, type OperationContext } from "./kind";

export const MigrationInputs = z.strictObject({
  projectId: Id,
  branch: BranchSelector.default("main"),
  name: MigrationName,
  sql: z.string().trim().min(1, "sql must not be empty"),
  /** SQL that undoes this migration, run when the resource is destroyed. Without it, destroy leaves the database as is. */
  down: z.string().trim().min(1).nullable().default(null),
  /** A migration of that name already applied on the branch (with the same SQL) is managed instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type MigrationInputs = z.output<typeof MigrationInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const MigrationComputed = z.object({
  /** The migration's id. */
  migrationId: z.string(),
  /** SHA-256 of the applied SQL. */
  checksum: z.string(),
  status: z.string(),
  appliedAt: z.string().nullable(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type MigrationOutputs = MigrationInputs & z.output<typeof MigrationComputed>;

type ApiMigration = { id: string; name: string; checksum: string; sql: string; status: string; applied_at: string | null };
const outputs = (live: ApiMigration, inputs: MigrationInputs): MigrationOutputs => ({
  ...inputs, sql: live.sql, migrationId: live.id, checksum: live.checksum, status: live.status, appliedAt: live.applied_at, stateVersion: STATE_VERSION,
});

const getMigration = (ctx: OperationContext, inputs: Pick<MigrationInputs, "projectId" | "branch" | "name">): Promise<ApiMigration> =>
  ctx.client.call(api.getMigration, { params: { id: inputs.projectId, name: inputs.name }, query: { branch: inputs.branch } });

const ID_FORMAT = "<project id>/<branch>/<migration name>, e.g. proj_123/main/001_init";

/** `proj_123/preview/pr-42/001_init`: the branch is everything between the project and the last segment. */
function identityOf(id: string): Pick<MigrationInputs, "projectId" | "branch" | "name"> {
  const [projectId, rest] = parseId(id, 1, ID_FORMAT);
  const cut = rest.lastIndexOf("/");
  if (cut <= 0) throw new Error(`"${id}" is not an id of this kind: expected ${ID_FORMAT}`);
  return { projectId, branch: rest.slice(0, cut), name: rest.slice(cut + 1) };
}

export const migration = defineKind<MigrationInputs, MigrationOutputs>({
  type: "lubes:index:Migration",
  title: "Migration",
  description: "A database migration, applied once in one transaction. Its SQL cannot change once applied: add a new migration instead. Destroying it runs `down` when given, and otherwise leaves the database as it is.",
  docs: {
    projectId: "The project.",
    branch: "Branch name or id; default main.",
    name: "Migration name, applied once per branch.",
    sql: "The SQL; immutable once applied.",
    down: "SQL that undoes it, run on destroy.",
    adoptExisting: "A migration of that name already applied on the branch (with the same SQL) is managed instead of failing. To keep a migration when you rename this resource, use the `aliases` option instead.",
    migrationId: "The migration's id.",
    checksum: "SHA-256 of the SQL.",
    status: "`applied`, or the state of a migration still running.",
    appliedAt: "When it was applied (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "branch", "name"],
  identity: ["projectId", "branch", "name"],
  secretOutputs: [],
  importId: ID_FORMAT,
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
  inputs: MigrationInputs,
  outputs: MigrationComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    ctx.log(`Applying migration "${inputs.name}" to branch "${inputs.branch}"…`);
    const applied = await ctx.client.send(api.runMigration, { params: { id: inputs.projectId }, body: { name: inputs.name, sql: inputs.sql, branch: inputs.branch } });
    const existed = applied.status === 200;
    if (existed && !inputs.adoptExisting) throw alreadyExists("Migration", inputs.name, `branch "${inputs.branch}" of project ${inputs.projectId} (applied before, so not run again)`);
    return { id: `${inputs.projectId}/${inputs.branch}/${inputs.name}`, outs: outputs(applied.body, inputs), adopted: existed };
  },
  async read(ctx, id, olds) {
    const identity = olds.projectId && olds.name ? { projectId: olds.projectId, branch: olds.branch ?? "main", name: olds.name } : identityOf(id);
    const live = await readOrGone(() => getMigration(ctx, identity));
    if (!live) return undefined;
    const outs = outputs(live, { ...identity, sql: olds.sql ?? live.sql, down: olds.down ?? null, adoptExisting: olds.adoptExisting ?? false });
    // The server never changes applied SQL; a differing checksum would be a migration re-made by hand.
    if (live.checksum !== createHash("sha256").update(outs.sql).digest("hex")) outs.sql = live.sql;
    return { id, outs };
  },
  // Only `down` can change in place (check refuses a changed SQL): it is the provider's own, so no call is made.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, down: news.down }),
  // With `down`, the server runs it and forgets the migration, so declaring it again applies it again.
  async delete(ctx, _id, olds) {
    if (!olds.down) return;
    ctx.log(`Reverting migration "${olds.name}" with its down SQL…`);
    await deleteIgnoringGone(() => ctx.client.call(api.revertMigration, { params: { id: olds.projectId, name: olds.name }, body: { sql: olds.down ?? "", branch: olds.branch } }));
  },
});
