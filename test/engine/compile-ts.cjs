// How the harness's command line loads TypeScript (`node --require <this> test/engine/cli.ts …`): each `.ts` file, the
// harness's own and the program's, is compiled to CommonJS by esbuild as it is required; every other module loads as
// plain Node loads it. tsx's hooks, used before, looked at every module a process loads, and made loading
// @pulumi/pulumi alone 0.6 s slower in each command (bench/RESULTS.md, "Engine harness"). What esbuild makes is kept
// by the source's hash, so the forty files of the harness are compiled once, not in every command.
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const esbuild = require("esbuild");

const OPTIONS = { loader: "ts", format: "cjs", target: "node20", sourcemap: "inline" };
const CACHE = path.resolve(__dirname, "../../node_modules/.cache/lubes-engine-harness");

function compiled(filename, source) {
  const key = createHash("sha256").update(`${esbuild.version}\0${filename}\0${source}`).digest("hex");
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return readFileSync(cached, "utf8");
  } catch {
    const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: filename });
    // Through a file of this process's own and a rename: processes running at once may compile the same file.
    mkdirSync(CACHE, { recursive: true });
    const partial = `${cached}.${process.pid}`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
    return code;
  }
}

Module._extensions[".ts"] = (module, filename) => {
  module._compile(compiled(filename, readFileSync(filename, "utf8")), filename);
};
