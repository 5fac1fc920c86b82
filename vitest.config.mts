import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Each server test file boots its own Postgres (PGlite or a throwaway cluster): give them room.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits for a condition (the dashboard's tests): as long as it takes on a busy machine, not 1 s.
    expect: { poll: { timeout: 60_000 } },
    pool: "forks",
    maxWorkers: 2,
    // A worker runs its files one after another in one process, importing the server's modules once, not per file
    // (43 s of imports became 10 s). Every test starts its own servers, so no state is shared through them.
    isolate: false,
  },
});
