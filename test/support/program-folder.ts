// A folder laid out as a user's Pulumi program: its node_modules holds @lubes/pulumi (this repository, compiled by
// `npm run build`) and @pulumi/pulumi, so requires by package name resolve as they do for a user (DESIGN.md).
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** An empty program folder, or a copy of `example` (a folder under examples/, without its node_modules). */
export function programFolder(example?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lubes-program-"));
  if (example) cpSync(path.join(ROOT, "examples", example), dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
  mkdirSync(path.join(dir, "node_modules", "@lubes"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  symlinkSync(ROOT, path.join(dir, "node_modules", "@lubes", "pulumi"), "dir");
  symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
  // @pulumi/random's SDK, for the examples that use it (the harness serves its resources: test/engine/random-stand-in.ts).
  symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "random"), path.join(dir, "node_modules", "@pulumi", "random"), "dir");
  symlinkSync(path.join(ROOT, "node_modules", "require-from-string"), path.join(dir, "node_modules", "require-from-string"), "dir");
  return dir;
}
