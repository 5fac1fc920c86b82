// Runs function code in a sandboxed child process (sandbox.ts): only the project's variables, a memory cap covering
// Buffers, a CPU-time limit and a wall-clock timeout. A function that loops, throws, runs out of memory or attacks
// the host is stopped and reported; the server goes on. An invocation takes a warm process of its version from the
// pool (or a spare) and gives it back once it answered; a deploy check, or a run that did not answer, is killed.
import type { SandboxPool } from "./pool";
import { startSandbox, type SandboxInput } from "./sandbox";

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

/** A function version's module must load within this, at deploy and when a release is built. */
export const MODULE_LOAD_TIMEOUT_MS = 5_000;

/** More than this many lines from one run are dropped, with a note. */
const MAX_LOG_LINES = 200;

/** Where a run's process comes from: the pool (warm, for `key`), or a process of its own. */
export interface Reuse {
  pool: SandboxPool;
  /** Same version, limits and variables: what a process may be reused for. */
  key: string;
}

export function runFunction(data: SandboxInput, env: Record<string, string>, limits: { timeoutMs: number; memoryMb: number }, reuse?: Reuse): Promise<Outcome> {
  const started = Date.now();
  const logs: LogLine[] = [];
  const sandbox = reuse ? reuse.pool.acquire(reuse.key, limits) : startSandbox(limits);
  const log = (level: LogLine["level"], message: string) => {
    if (logs.length < MAX_LOG_LINES) logs.push({ level, message, at: new Date() });
    else if (logs.length === MAX_LOG_LINES) logs.push({ level: "warn", message: `more than ${MAX_LOG_LINES} log lines: the rest of this run's output was dropped`, at: new Date() });
  };

  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sandbox.listen(undefined);
      const durationMs = Date.now() - started;
      // Only a process whose run answered is worth keeping.
      if (reuse) reuse.pool.release(reuse.key, sandbox, limits, outcome.kind === "response");
      else sandbox.kill();
      resolve({ ...outcome, logs, durationMs });
    };
    const timer = setTimeout(() => finish({ kind: "timeout", message: `Function ran longer than its timeout of ${limits.timeoutMs} ms and was stopped` }), limits.timeoutMs);
    sandbox.listen({
      message: (message) => {
        if ("log" in message) log(message.log.level, message.log.message);
        else if ("done" in message) finish({ kind: "response", ...message.done });
        else if ("checked" in message) finish({ kind: "checked" });
        else finish({ kind: "error", message: message.failed });
      },
      // Writes to process.stdout/stderr inside the function are logs too, never the server's own output.
      output: (stream, chunk) => log(stream === "stdout" ? "info" : "error", chunk.toString().trimEnd()),
      error: (error) => finish({ kind: "error", message: `Function process failed to start: ${error.message}` }),
      close: (code, signal) => {
        const stoppedBy = sandbox.stoppedBy(signal);
        // V8's own heap limit ends the process with an OOM abort (SIGABRT, or exit code 134 through the shell).
        if (stoppedBy === "memory" || signal === "SIGABRT" || code === 134) finish({ kind: "out_of_memory", message: `Function exceeded its memory limit of ${limits.memoryMb} MB and was stopped` });
        else if (stoppedBy === "cpu") finish({ kind: "timeout", message: "Function used more CPU time than it may and was stopped" });
        else finish({ kind: "error", message: `Function process exited (${signal ?? `code ${code}`}) before answering` });
      },
    });
    sandbox.send({ ...data, env });
  });
}
