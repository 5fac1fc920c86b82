// Runs a server suite once per storage engine: embedded PGlite, and real PostgreSQL (skipped, visibly, without binaries).
import { describe, inject } from "vitest";
import type { Engine } from "./server";

/** Runs `suite` once per engine: the embedded default and real PostgreSQL (skipped, visibly, without binaries). */
export function describeEachEngine(name: string, suite: (engine: Engine) => void): void {
  describe(`${name} [pglite]`, () => suite("pglite"));
  if (inject("postgresUrl")) describe(`${name} [postgres]`, () => suite("postgres"));
  else describe.skip(`${name} [postgres] (skipped: no PostgreSQL binaries on this machine)`, () => suite("postgres"));
}

