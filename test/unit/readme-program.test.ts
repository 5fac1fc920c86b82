// The README's complete program and every example must compile against the SDK as a user's program would (the built
// package in its node_modules), so the documentation cannot drift from the classes.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { programFolder } from "../support/program-folder";

const ROOT = path.resolve(__dirname, "../..");

it("the README's program, using every kind, type-checks against the SDK", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const program = /## The Pulumi provider\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(program).toBeDefined();
  for (const kind of ["Organization", "OrganizationMember", "Project", "Branch", "Migration", "Function", "Bucket", "StorageObject", "Deployment", "ProductionDeployment", "EnvVar", "SignedUrl"]) {
    expect(program, kind).toContain(`new lubes.${kind}(`);
  }
  const folder = programFolder();
  try {
    symlinkSync(path.join(ROOT, "node_modules", "@types"), path.join(folder, "node_modules", "@types"), "dir");
    writeFileSync(path.join(folder, "index.ts"), program ?? "");
    writeFileSync(path.join(folder, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", module: "node16", moduleResolution: "node16", noEmit: true, skipLibCheck: true, types: ["node"] },
      files: ["index.ts"],
    }));
    execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", folder], { stdio: "pipe" });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

const tsc = (folder: string) => execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", folder, "--noEmit"], { stdio: "pipe" });

/** The TypeScript examples (a YAML one has no tsconfig: test/e2e/yaml-quickstart.test.ts checks it). */
const typescriptExamples = readdirSync(path.join(ROOT, "examples"), { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(path.join(ROOT, "examples", e.name, "tsconfig.json"))).map((e) => e.name);

describe("each example", () => {
  it.each(typescriptExamples)("%s type-checks with its own tsconfig.json", (example) => {
    const folder = programFolder(example);
    try {
      symlinkSync(path.join(ROOT, "node_modules", "@types"), path.join(folder, "node_modules", "@types"), "dir");
      tsc(folder);
    } catch (error) {
      throw new Error(String((error as { stdout?: Buffer }).stdout ?? error));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
