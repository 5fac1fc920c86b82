// A folder laid out as a user's Pulumi program: its node_modules holds @lubes/pulumi (this repository, compiled by
// `npm run build`) and @pulumi/pulumi, so requires by package name resolve as they do for a user (DESIGN.md).
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export function programFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lubes-program-"));
  mkdirSync(path.join(dir, "node_modules", "@lubes"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  symlinkSync(ROOT, path.join(dir, "node_modules", "@lubes", "pulumi"), "dir");
  symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
  symlinkSync(path.join(ROOT, "node_modules", "require-from-string"), path.join(dir, "node_modules", "require-from-string"), "dir");
  return dir;
}
