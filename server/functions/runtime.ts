// Runs function code in a fresh worker thread per invocation: its own process.env (the project's variables only),
// a heap limit, a time limit. A function that loops, throws or runs out of memory is stopped and reported; the
// server goes on. This isolates failures, not hostile code: it is not a security sandbox.
import { retireWorker, startWorker } from "../workers";
import type { InvocationData, WorkerMessage } from "./function-worker";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  at: Date;
}

export type Outcome =
  | { kind: "response"; status: number; headers: [string, string][]; body: Uint8Array; logs: LogLine[]; durationMs: number }
  | { kind: "checked"; logs: LogLine[]; durationMs: number }
  | { kind: "error" | "timeout" | "out_of_memory"; message: string; logs: LogLine[]; durationMs: number };

type Result = Outcome extends infer O ? (O extends Outcome ? Omit<O, "logs" | "durationMs"> : never) : never;

/** More than this many lines from one run are dropped, with a note. */
const MAX_LOG_LINES = 200;

export function runFunction(data: InvocationData, env: Record<string, string>, limits: { timeoutMs: number; memoryMb: number }): Promise<Outcome> {
  const started = Date.now();
  const logs: LogLine[] = [];
  const worker = startWorker("functions/function-worker", {
    workerData: data,
    env,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(16, Math.max(4, Math.floor(limits.memoryMb / 4))), stackSizeMb: 4 },
  });
  const log = (level: LogLine["level"], message: string) => {
    if (logs.length < MAX_LOG_LINES) logs.push({ level, message, at: new Date() });
    else if (logs.length === MAX_LOG_LINES) logs.push({ level: "warn", message: `more than ${MAX_LOG_LINES} log lines: the rest of this run's output was dropped`, at: new Date() });
  };
  // Writes to process.stdout/stderr inside the function are logs too, never the server's own output.
  worker.stdout.on("data", (chunk: Buffer) => log("info", chunk.toString().trimEnd()));
  worker.stderr.on("data", (chunk: Buffer) => log("error", chunk.toString().trimEnd()));

  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A worker that answered exits on its own once its work drains; one that did not is stopped now.
      void (outcome.kind === "response" || outcome.kind === "checked" ? retireWorker(worker, 1_000) : worker.terminate());
      resolve({ ...outcome, logs, durationMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish({ kind: "timeout", message: `Function ran longer than its timeout of ${limits.timeoutMs} ms and was stopped` }), limits.timeoutMs);
    worker.on("message", (message: WorkerMessage) => {
      if ("log" in message) log(message.log.level, message.log.message);
      else if ("done" in message) finish({ kind: "response", ...message.done });
      else if ("checked" in message) finish({ kind: "checked" });
      else finish({ kind: "error", message: message.failed });
    });
    worker.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") finish({ kind: "out_of_memory", message: `Function exceeded its memory limit of ${limits.memoryMb} MB and was stopped` });
      else finish({ kind: "error", message: error.stack ?? error.message });
    });
    worker.on("exit", (code) => finish({ kind: "error", message: `Function worker exited with code ${code} before answering` }));
  });
}
