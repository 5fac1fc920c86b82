// The provider every SDK class passes to Pulumi ends up in state as `__provider`: it must be small, hold no
// credential, require only our package by name, and load on its own (the dynamic-provider host uses
// require-from-string). Runs the compiled package in a child process (see test/support/serialize-guard.cjs).
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { programFolder } from "../support/program-folder";

interface Report {
  name: string;
  bytes: number;
  sameAsPulumi: boolean;
  containsSecrets: boolean;
  hasCanary: boolean;
  requires: string[];
  methods: string[];
  diffChanges: boolean;
}

describe("the serialized provider of every SDK class", () => {
  let folder: string;
  let reports: Report[];
  beforeAll(() => {
    if (!existsSync(path.resolve(__dirname, "../../dist/sdk/index.js"))) throw new Error("run `npm run build` first (npm test does)");
    folder = programFolder();
    const output = execFileSync(process.execPath, [path.resolve(__dirname, "../support/serialize-guard.cjs")], { cwd: folder, env: { ...process.env, LUBES_API_KEY: "" } });
    reports = JSON.parse(output.toString()) as Report[];
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("covers all thirteen classes", () => {
    expect(reports.map((r) => r.name).sort()).toEqual(["Branch", "Bucket", "DatabaseCopy", "Deployment", "EnvVar", "Function", "Migration", "Organization", "OrganizationMember", "ProductionDeployment", "Project", "SignedUrl", "StorageObject"]);
  });

  it("is under 4 KB, holds no credential, reports no secrets, and requires only our package by name", () => {
    for (const report of reports) {
      expect(report.bytes, report.name).toBeLessThan(4096);
      expect(report.hasCanary, report.name).toBe(false);
      expect(report.containsSecrets, report.name).toBe(false);
      expect(report.requires, report.name).toEqual(["@lubes/pulumi/provider/dynamic"]);
    }
  });

  it("is, byte for byte, what Pulumi's own serializer makes of the shim, so stacks of earlier releases see no change", () => {
    for (const report of reports) expect(report.sameAsPulumi, report.name).toBe(true);
  });

  it("loads on its own with every method, and reaches the provider core by package name", () => {
    for (const report of reports) {
      expect(report.methods, report.name).toEqual(["check", "diff", "create", "read", "update", "delete", "configure"]);
      // A changed `plan` is a change only for an Organization, the one kind with that input: the kind's own diff ran.
      expect(report.diffChanges, report.name).toBe(report.name === "Organization");
    }
  });
});

describe("properties a program leaves out", () => {
  it("still become outputs: an autonamed name, a derived slug, a default plan (pulumi/pulumi #12160)", () => {
    const folder = programFolder();
    try {
      const output = execFileSync(process.execPath, [path.resolve(__dirname, "../support/sdk-outputs.cjs")], { cwd: folder });
      expect(JSON.parse(output.toString())).toEqual({
        orgName: "acme-auto", orgSlug: "acme-auto", orgPlan: "free", projectName: "web-auto", bucketName: "assets-auto", functionSlug: "hello-auto",
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
