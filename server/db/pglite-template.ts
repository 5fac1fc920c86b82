// An empty, initialised PGlite data directory is the same every time: PGlite's initdb takes ~2.8 s, a copy ~0.1 s.
// One is made per machine and PGlite version, in node_modules/.cache/lubes-server (or, where that cannot be written,
// in a fallback directory of the data dir), and copied wherever a new database starts: the control plane at the first
// start, each project branch's first database. `npm install` makes it ahead (see `prepare`), so a first start skips
// initdb entirely.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { retireWorker, startWorker } from "../workers";

const READY = ".lubes-ready";
/**
 * The template as PGlite's own tarball (`dumpDataDir`), kept in the template: an in-memory database (a server started
 * without a data dir, as the tests start it) loads it in 0.3 s of CPU instead of running initdb, 2.5 s and more.
 */
const MEMORY_IMAGE = ".lubes-memory-image.tar";
/** Files of the template that are not the database's: never copied into a database. */
const NOT_COPIED = [READY, MEMORY_IMAGE];

/** Where the machine's template lives: keyed by PGlite's version, since its files are that version's. */
function cacheDir(): string | undefined {
  try {
    // The package's root: its entry point is dist/index.cjs (package.json itself is not exported).
    const root = path.resolve(path.dirname(require.resolve("@electric-sql/pglite")), "..");
    const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    // "-2": templates made before they held their memory image are made again.
    return path.join(root, "..", "..", ".cache", "lubes-server", `pglite-${version}-2`);
  } catch {
    return undefined;
  }
}

/**
 * Runs initdb in a worker thread (the main thread keeps serving): one database, `postgres`, without the template
 * databases (15 MB in every copy), with 1 MB WAL segments so that copies stay small.
 */
async function initdb(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const worker = startWorker("databases/pglite-worker", { workerData: { dataDir: dir, template: true, memoryImage: path.join(dir, MEMORY_IMAGE) } });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on("message", (message: { ready?: true; fatal?: string; id?: number }) => {
        if (message.ready) worker.postMessage({ id: 1, kind: "close" });
        else if (message.fatal) reject(new Error(`initdb failed: ${message.fatal}`));
        else if (message.id === 1) resolve();
      });
      worker.on("error", reject);
      worker.on("exit", (code) => reject(new Error(`initdb worker exited (code ${code})`)));
    });
  } finally {
    await retireWorker(worker);
  }
}

/** Makes a template at `dir` through a temporary name, so a half-made one is never used; a racing process's wins. */
async function makeTemplate(dir: string): Promise<string> {
  if (existsSync(path.join(dir, READY))) return dir;
  const partial = `${dir}.partial-${randomUUID()}`;
  await rm(partial, { recursive: true, force: true });
  await initdb(partial);
  await writeFile(path.join(partial, READY), "");
  // Another process may have finished one meanwhile, and be copying it: keep that one.
  if (existsSync(path.join(dir, READY))) {
    await rm(partial, { recursive: true, force: true });
    return dir;
  }
  await rm(dir, { recursive: true, force: true });
  try {
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(path.join(dir, READY))) throw error;
  }
  return dir;
}

let template: Promise<string> | undefined;

/** The ready template: the machine's cache, else `fallback` (made on first use either way). */
export async function pgliteTemplate(fallback: string): Promise<string> {
  // Made again if it went away meanwhile (a reinstall empties node_modules/.cache).
  if (template && !existsSync(path.join(await template.catch(() => ""), READY))) template = undefined;
  template ??= (async () => {
    const cached = cacheDir();
    if (cached) {
      try {
        return await makeTemplate(cached);
      } catch {
        // Not writable (a read-only install): keep one in the data dir instead.
      }
    }
    return makeTemplate(fallback);
  })();
  template.catch(() => (template = undefined));
  return template;
}

/**
 * The template's memory image, for an in-memory database; undefined if this template has none (a fallback one made by
 * an earlier release), and the database then runs initdb.
 */
export async function memoryImage(): Promise<Blob | undefined> {
  const dir = await pgliteTemplate(path.join(os.tmpdir(), "lubes-server-pglite-template"));
  try {
    return new Blob([await readFile(path.join(dir, MEMORY_IMAGE))]);
  } catch {
    return undefined;
  }
}

/** Copies the template to `to` through a temporary name, so a half-made copy is never mistaken for a database. */
export async function copyTemplate(from: string, to: string): Promise<void> {
  const partial = `${to}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(path.dirname(to), { recursive: true });
  await cp(from, partial, { recursive: true, filter: (source) => !NOT_COPIED.includes(path.basename(source)) });
  await rename(partial, to);
}

/**
 * Fills a data dir that has no database yet from the template, keeping `keep` (its lock file). Anything a copy cut
 * short left is removed first, and PG_VERSION moves in last: a dir that has it is whole.
 */
export async function seedDataDir(from: string, dataDir: string, keep: readonly string[]): Promise<void> {
  for (const entry of await readdir(dataDir)) if (!keep.includes(entry)) await rm(path.join(dataDir, entry), { recursive: true, force: true });
  const staging = `${dataDir}.seed`;
  await rm(staging, { recursive: true, force: true });
  await copyTemplate(from, staging);
  const entries = (await readdir(staging)).sort((a, b) => Number(a === "PG_VERSION") - Number(b === "PG_VERSION"));
  for (const entry of entries) await rename(path.join(staging, entry), path.join(dataDir, entry));
  await rm(staging, { recursive: true, force: true });
}

// `npm install` (the root package's `prepare`) makes the machine's template ahead of the first start.
if (require.main === module) {
  const cached = cacheDir();
  if (cached) {
    makeTemplate(cached).then(
      () => process.stdout.write(`lubes-server: PGlite template ready in ${cached}\n`),
      (error: unknown) => process.stdout.write(`lubes-server: no PGlite template made ahead (${String(error)}); the first start makes one\n`),
    );
  }
}
