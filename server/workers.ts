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
