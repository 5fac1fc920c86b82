// One owner per PGlite data directory: PGlite itself locks nothing, and two writers would corrupt it (DESIGN.md).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `<dir>/lubes.lock` for this process, or throws naming the process that holds it. Returns the release. */
export const LOCK_FILE = "lubes.lock";

export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const key = path.resolve(dir);
  if (heldHere.has(key)) throw new Error(`${dir} is already open in this process`);
  try {
    writeFileSync(file, String(process.pid), { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const holder = Number(readFileSync(file, "utf8").trim());
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new Error(`${dir} is in use by another lubes-server (pid ${holder}); stop it first, or delete ${file} if that process is not a lubes-server`);
    }
    // Left by a process that has died: take it over.
    writeFileSync(file, String(process.pid));
  }
  heldHere.add(key);
  return () => {
    heldHere.delete(key);
    rmSync(file, { force: true });
  };
}
