// Builds the dashboard into server/dist/dashboard: one hashed script and stylesheet (cached for good by browsers),
// and the index.html that names them (never cached). Run by `npm start`, the server's build and `npm install`.
import { build } from "esbuild";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pid } from "node:process";

const here = import.meta.dirname;
const target = join(here, "..", "dist", "dashboard");
// Built beside the old build and swapped in, so a running server never finds half a build.
const outdir = `${target}.${pid}`;
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src", "main.tsx") },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir,
  metafile: true,
  logLevel: "warning",
}).catch((error) => {
  // The old build stays in place.
  rmSync(outdir, { recursive: true, force: true });
  throw error;
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const script = outputs.find((file) => file.endsWith(".js"));
const style = outputs.find((file) => file.endsWith(".css"));
if (!script || !style) throw new Error(`the dashboard build made no script or stylesheet: ${outputs.join(", ")}`);

writeFileSync(join(outdir, "index.html"), `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>Lubes</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/${style}">
    <script type="module" src="/${script}"></script>
  </head>
  <body>
    <div id="app"><noscript>The Lubes dashboard needs JavaScript.</noscript></div>
  </body>
</html>
`);
rmSync(target, { recursive: true, force: true });
renameSync(outdir, target);
