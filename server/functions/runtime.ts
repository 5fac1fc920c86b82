// Runs function code in a sandboxed child process per run (sandbox.ts): only the project's variables, a memory cap
// covering Buffers, a CPU-time limit and a wall-clock timeout. A function that loops, throws, runs out of memory or
// attacks the host is stopped and reported; the server goes on. The process is killed once it has answered, so
// nothing of a run (a timer, a socket) outlives it.
import { startSandbox, type SandboxInput, type SandboxMessage } from "./sandbox";

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

export function runFunction(data: SandboxInput, env: Record<string, string>, limits: { timeoutMs: number; memoryMb: number }): Promise<Outcome> {
  const started = Date.now();
  const logs: LogLine[] = [];
  const sandbox = startSandbox(data, env, limits);
  const { child } = sandbox;
  const log = (level: LogLine["level"], message: string) => {
    if (logs.length < MAX_LOG_LINES) logs.push({ level, message, at: new Date() });
    else if (logs.length === MAX_LOG_LINES) logs.push({ level: "warn", message: `more than ${MAX_LOG_LINES} log lines: the rest of this run's output was dropped`, at: new Date() });
  };
  // Writes to process.stdout/stderr inside the function are logs too, never the server's own output.
  child.stdout?.on("data", (chunk: Buffer) => log("info", chunk.toString().trimEnd()));
  child.stderr?.on("data", (chunk: Buffer) => log("error", chunk.toString().trimEnd()));

  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sandbox.kill();
      resolve({ ...outcome, logs, durationMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish({ kind: "timeout", message: `Function ran longer than its timeout of ${limits.timeoutMs} ms and was stopped` }), limits.timeoutMs);
    child.on("message", (message: SandboxMessage) => {
      if ("log" in message) log(message.log.level, message.log.message);
      else if ("done" in message) finish({ kind: "response", ...message.done });
      else if ("checked" in message) finish({ kind: "checked" });
      else finish({ kind: "error", message: message.failed });
    });
    child.on("error", (error) => finish({ kind: "error", message: `Function process failed to start: ${error.message}` }));
    // "close": every message the process sent has been delivered by then.
    child.on("close", (code, signal) => {
      const stoppedBy = sandbox.stoppedBy(signal);
      // V8's own heap limit ends the process with an OOM abort (SIGABRT, or exit code 134 through the shell).
      if (stoppedBy === "memory" || signal === "SIGABRT" || code === 134) finish({ kind: "out_of_memory", message: `Function exceeded its memory limit of ${limits.memoryMb} MB and was stopped` });
      else if (stoppedBy === "cpu") finish({ kind: "timeout", message: "Function used more CPU time than its timeout allows and was stopped" });
      else finish({ kind: "error", message: `Function process exited (${signal ?? `code ${code}`}) before answering` });
    });
  });
}
