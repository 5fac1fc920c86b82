// Starts worker threads from compiled JavaScript, or from TypeScript source (tests, `npm start`) through tsx's
// require hook: Node 20 does not pass `--import` on to worker threads.
import { existsSync } from "node:fs";
import path from "node:path";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** `file` is relative to server/, without extension: e.g. `databases/pglite-worker`. */
export function startWorker(file: string, options: WorkerOptions): Worker {
  const js = path.join(__dirname, `${file}.js`);
  if (existsSync(js)) return new Worker(js, options);
  const ts = path.join(__dirname, `${file}.ts`);
  return new Worker(`require("tsx/cjs"); require(${JSON.stringify(ts)});`, { ...options, eval: true });
}

/**
 * Ends a worker whose work is done: it has `graceMs` to exit on its own (its event loop drained), and only then is
 * terminated. Terminating a worker with file-system work in flight can abort the whole process (nodejs/node#38418),
 * so a stop that can wait, waits.
 */
export async function retireWorker(worker: Worker, graceMs = 2_000): Promise<void> {
  if (worker.threadId === -1) return; // already exited
  const exited = new Promise<boolean>((resolve) => worker.once("exit", () => resolve(true)));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  const onItsOwn = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (!onItsOwn) await worker.terminate();
}
