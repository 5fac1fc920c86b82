// lubes-server killed (SIGKILL) in the middle of an `up` of a 51-resource stack of every kind, then started again on
// the same data (bench/crash-scenario.ts), on both engines: the next `up` converges, the server holds exactly what the
// program declares (nothing acknowledged before the kill was lost, nothing was made twice), a further `up` changes
// nothing and `destroy` leaves nothing. bench/crash.ts runs it at 151 resources, killed at several points.
import { expect, it } from "vitest";
import { crashScenario } from "../../bench/crash-scenario";
import { describeEachEngine } from "../support/engines";
import { freshPostgresDatabase } from "../support/server";
import { expectNoChanges } from "./support";

const LONG = 600_000;

describeEachEngine("a server killed during an up", (engine) => {
  it("converges on the next up after a restart, holding exactly what the program declares", async () => {
    const run = await crashScenario({ projects: 1, killAfter: 40, ...(engine === "postgres" ? { databaseUrl: await freshPostgresDatabase() } : {}) });
    process.stdout.write(`crash [${engine}]: the interrupted up ${run.interruptedUp}; the next created ${run.secondUpCreated} in ${run.secondUpSeconds.toFixed(1)} s\n`);
    expect(run.held).toEqual(run.declared);
    expectNoChanges(run.thirdUp);
    expect(run.destroy.summary.delete, run.destroy.text).toBe(run.resources);
    expect(run.left["organizations"]).toBe(0);
  }, LONG);
});
