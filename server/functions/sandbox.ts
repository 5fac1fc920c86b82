// The sandbox a function's code runs in: a child process (serving one version of one function, see pool.ts), which
// reaches nothing that is not its own. Node's permission model (`--experimental-permission` with no grant) denies it
// the file system, child processes, worker threads, native addons, WASI and the inspector; `process.kill` is taken
// away before its code loads; its environment holds only the project's variables; when the server runs as root it
// runs as `nobody`. Its memory is capped as a whole, Buffers included: by a memory cgroup of its own where the server may make one, else by
// a watch of its resident memory; V8's heap has its own limit. RLIMIT_CPU caps its CPU time; a wall-clock timeout
// kills it. Killing it takes only that process. Outbound network stays open: functions call APIs.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What the sandboxed process sends back. */
export type SandboxMessage =
  | { log: { level: "debug" | "info" | "warn" | "error"; message: string } }
  | { done: { status: number; headers: [string, string][]; body: Uint8Array } }
  | { checked: true }
  | { failed: string };

export interface SandboxInput {
  source: string;
  /**
   * The project's variables, given to the process with its first run (never through its environment at start, where
   * Node would read some of them, such as NODE_OPTIONS, as its own options).
   */
  env?: Record<string, string>;
  /** Only load the module and check its default export (deploy). */
  check?: boolean;
  request?: { method: string; url: string; headers: [string, string][]; body: Uint8Array | null };
}

/** The process's own code, before the function's: plain JavaScript, given with `-e` (no file is read). */
const BOOTSTRAP = String.raw`
"use strict";
delete process._kill;
process.kill = () => { throw new Error("process.kill is not available to a function"); };
const MAX_LOG_LINE = 4096;
const format = (value) => {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack || value.message;
  try { const text = JSON.stringify(value); return text === undefined ? String(value) : text; } catch { return String(value); }
};
const levels = { log: "info", info: "info", debug: "debug", warn: "warn", error: "error" };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => process.send({ log: { level, message: args.map(format).join(" ").slice(0, MAX_LOG_LINE) } });
}
// Node loads and compiles fetch's classes and its ES module loader on first use (tens of milliseconds): a process
// started ahead of need (a spare) takes a run's path once now, so that its first run finds them ready.
const warmUp = async () => {
  await import("data:text/javascript,export default 0");
  const request = new Request("http://localhost/", { method: "POST", headers: [["content-type", "text/plain"]], body: new Uint8Array(1) });
  await request.arrayBuffer();
  const response = new Response("ready", { headers: { "content-type": "text/plain" } });
  void [...response.headers];
  await response.arrayBuffer();
};
// A warm-up that failed only loses its head start.
const ready = process.argv[1] === "spare" ? warmUp().catch(() => undefined) : undefined;
// One run at a time; the module is imported once per process (a pooled process serves runs of one version).
let moduleUrl;
let loaded;
process.on("message", async (data) => {
  moduleUrl = moduleUrl || "data:text/javascript;base64," + Buffer.from(data.source).toString("base64");
  const describe = (error) => format(error).split(moduleUrl).join("function.mjs");
  try {
    if (data.env) Object.assign(process.env, data.env);
    await ready;
    loaded = loaded || import(moduleUrl);
    const handler = (await loaded).default;
    if (typeof handler !== "function") return process.send({ failed: "The module's default export must be a function: export default async (request, env) => new Response(...)" });
    if (data.check || !data.request) return process.send({ checked: true });
    const { method, url, headers, body } = data.request;
    const request = new Request(url, { method, headers, ...(body && method !== "GET" && method !== "HEAD" ? { body } : {}) });
    const response = await handler(request, process.env);
    if (!(response instanceof Response)) return process.send({ failed: "The function returned " + format(response) + ", not a Response" });
    const bytes = new Uint8Array(await response.arrayBuffer());
    process.send({ done: { status: response.status, headers: [...response.headers], body: bytes } });
  } catch (error) {
    process.send({ failed: describe(error) });
  }
});
`;

/** Node's own memory before a function allocates anything (about 45 MB here), allowed above `memoryMb`. */
const BASELINE_MB = 64;
/** The whole process's memory cap: the function's `memoryMb` and Node's own. */
export const memoryCapBytes = (limits: SandboxLimits): number => (limits.memoryMb + BASELINE_MB) * 1024 * 1024;
const NOBODY = 65_534;

/** Whether `nobody` can run this Node binary: every directory on its path searchable by others (not so under ~root). */
function othersCanRun(file: string): boolean {
  try {
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) if ((statSync(dir).mode & 0o001) === 0) return false;
    return (statSync(file).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}
/** Root's sandboxes drop to `nobody` as well, where they can. */
const dropToNobody = process.getuid?.() === 0 && othersCanRun(process.execPath);

/**
 * The root of a memory cgroup per process, when this process may make one (root, a writable cgroup mount): cgroup v1's
 * memory hierarchy, or cgroup v2 with the memory controller enabled down to our group. Else undefined.
 */
const cgroupRoot: string | undefined = (() => {
  const v1 = "/sys/fs/cgroup/memory";
  const v2 = "/sys/fs/cgroup";
  try {
    const dir = path.join(v1, "lubes-functions");
    mkdirSync(dir, { recursive: true });
    readFileSync(path.join(dir, "memory.limit_in_bytes"));
    removeLeftovers(dir);
    return dir;
  } catch {
    // No v1 memory hierarchy here, or not ours to change.
  }
  try {
    const dir = path.join(v2, "lubes-functions");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(v2, "cgroup.subtree_control"), "+memory");
    writeFileSync(path.join(dir, "cgroup.subtree_control"), "+memory");
    if (!readFileSync(path.join(dir, "cgroup.subtree_control"), "utf8").includes("memory")) return undefined;
    removeLeftovers(dir);
    return dir;
  } catch {
    return undefined;
  }
})();

/** Caps a process's memory: a cgroup of its own, or a watch of its resident memory. Returns the release. */
function capMemory(child: ChildProcess, limitBytes: number, exceeded: () => void): () => void {
  const pid = child.pid;
  if (pid === undefined) return () => undefined;
  if (cgroupRoot) {
    const group = path.join(cgroupRoot, String(pid));
    try {
      mkdirSync(group);
      const v1 = cgroupRoot.startsWith("/sys/fs/cgroup/memory/");
      writeFileSync(path.join(group, v1 ? "memory.limit_in_bytes" : "memory.max"), String(limitBytes));
      if (!v1) writeFileSync(path.join(group, "memory.swap.max"), "0");
      writeFileSync(path.join(group, "cgroup.procs"), String(pid));
      // The kernel stops it (SIGKILL) past the limit; the exit reports it.
      return () => removeGroup(group);
    } catch {
      rmdirQuietly(group);
    }
  }
  const pageSize = 4096;
  const watch = setInterval(() => {
    try {
      const resident = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * pageSize;
      if (resident > limitBytes) exceeded();
    } catch {
      clearInterval(watch);
    }
  }, 20);
  return () => clearInterval(watch);
}

function rmdirQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** A run's cgroup, once its process has left it (the kernel may take a moment after the exit). */
function removeGroup(group: string, attempts = 10): void {
  if (!rmdirQuietly(group) && attempts > 1) setTimeout(() => removeGroup(group, attempts - 1), 50).unref();
}

/** Groups an earlier server left behind (it stopped mid-run): empty ones are removed at start. */
function removeLeftovers(root: string): void {
  for (const name of readdirSync(root).filter((entry) => /^\d+$/.test(entry))) {
    const group = path.join(root, name);
    try {
      if (readFileSync(path.join(group, "cgroup.procs"), "utf8").trim() === "") rmdirQuietly(group);
    } catch {
      // Not ours to judge: left as it is.
    }
  }
}

/**
 * Reads the process's /proc/<pid>/stat through a descriptor opened once: one system call per read, where a read by
 * path costs three on every invocation. Gives the fields after the command's name (the 3rd on); undefined once the
 * process is gone.
 */
function procStat(pid: number | undefined): { read(): string[] | undefined; close(): void } {
  let fd: number | undefined;
  try {
    if (pid !== undefined) fd = openSync(`/proc/${pid}/stat`, "r");
  } catch {
    fd = undefined;
  }
  const buffer = Buffer.alloc(1024);
  return {
    read: () => {
      if (fd === undefined) return undefined;
      try {
        return buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0)).split(") ")[1]?.split(" ");
      } catch {
        return undefined;
      }
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export interface SandboxLimits {
  timeoutMs: number;
  memoryMb: number;
}

/** Runs a sandboxed process may serve before it is replaced (a pooled one). */
export const MAX_RUNS_PER_PROCESS = 10_000;

/**
 * A process's CPU time (RLIMIT_CPU): its timeout and a second, a hundred times over. A pooled process that has used
 * half of it is replaced (pool.ts), so a run does not meet the limit for what earlier runs used.
 */
export const cpuLimitSeconds = (limits: SandboxLimits): number => (Math.ceil(limits.timeoutMs / 1000) + 1) * 100;

/** What one run hears from its process. */
export interface RunListener {
  message(message: SandboxMessage): void;
  /** A chunk the function wrote to its stdout or stderr. */
  output(stream: "stdout" | "stderr", chunk: Buffer): void;
  /** The process failed to start. */
  error(error: Error): void;
  /** The process ended; every message it sent has been delivered by then. */
  close(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface Sandbox {
  child: ChildProcess;
  /**
   * Who hears the process now: the current run, or nobody between runs (what it says then is dropped). The process's
   * own listeners stay for its life, so a run attaches none (attaching to its pipes and channel costs system calls).
   */
  listen(listener: RunListener | undefined): void;
  /** Sends one run's input; the answer comes as a message. */
  send(input: SandboxInput): void;
  /** Kills the process (its memory cap is released when it exits). */
  kill(): void;
  /** Freezes it while it waits in a pool (SIGSTOP): no timer of a function runs then. */
  freeze(): void;
  thaw(): void;
  /** Why it died, when it was not killed by `kill`: its memory cap, or its CPU time. */
  stoppedBy(signal: NodeJS.Signals | null): "memory" | "cpu" | undefined;
  /** CPU time it has used, in seconds, and its resident memory, in bytes (undefined once it is gone). */
  usage(): { cpuSeconds: number; residentBytes: number } | undefined;
  /** Still running: not exited, and not a zombie that Node has yet to reap (a kill from outside). */
  alive(): boolean;
  /** Runs it has been sent. */
  readonly runs: number;
}

/**
 * Starts a sandboxed process with an empty environment; it waits for runs (`send`), the first of which brings the
 * project's variables and the function's source. A `spare` (started ahead of need) readies itself for its first run.
 */
export function startSandbox(limits: SandboxLimits, options: { spare?: boolean } = {}): Sandbox {
  // A pooled process serves many runs: its CPU-time limit covers them all; each run has its wall-clock timeout.
  const cpuSeconds = cpuLimitSeconds(limits);
  const node = [
    process.execPath, "--experimental-permission", "--no-warnings", `--max-old-space-size=${limits.memoryMb}`, "--max-semi-space-size=4", "--stack-size=984", "-e", BOOTSTRAP,
    ...(options.spare ? ["spare"] : []),
  ];
  // The shell sets RLIMIT_CPU, then becomes Node; it would add PWD to the environment, which is the project's alone.
  const child = spawn("/bin/sh", ["-c", `ulimit -t ${cpuSeconds} && unset PWD && exec "$@"`, "sandbox", ...node], {
    env: {},
    // A directory every user may enter: the server's own may be closed to `nobody`.
    cwd: "/",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
    ...(dropToNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let killed = false;
  let overMemory = false;
  let runs = 0;
  const release = capMemory(child, memoryCapBytes(limits), () => {
    overMemory = true;
    child.kill("SIGKILL");
  });
  const stat = procStat(child.pid);
  let listener: RunListener | undefined;
  child.on("message", (message: SandboxMessage) => listener?.message(message));
  child.stdout?.on("data", (chunk: Buffer) => listener?.output("stdout", chunk));
  child.stderr?.on("data", (chunk: Buffer) => listener?.output("stderr", chunk));
  child.on("error", (error) => listener?.error(error));
  child.once("close", (code, exitSignal) => {
    release();
    stat.close();
    listener?.close(code, exitSignal);
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    child,
    get runs() {
      return runs;
    },
    listen(next) {
      listener = next;
    },
    send(input) {
      // The variables and the module are taken in by the first run: later runs need not carry them again.
      const message = runs === 0 ? input : { ...input, source: "", env: undefined };
      runs += 1;
      // A process that died before it read its input reports through "exit"/"error", not here.
      child.send(message, (error) => error && signal("SIGKILL"));
    },
    kill: () => {
      killed = true;
      signal("SIGCONT");
      signal("SIGKILL");
    },
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    // Only the cgroup's OOM killer sends SIGKILL that is not ours; RLIMIT_CPU sends SIGXCPU.
    stoppedBy: (exitSignal) => (overMemory || (exitSignal === "SIGKILL" && !killed) ? "memory" : exitSignal === "SIGXCPU" ? "cpu" : undefined),
    alive: () => {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      const state = stat.read()?.[0];
      return state !== undefined && state !== "Z";
    },
    usage: () => {
      // utime and stime (the 14th and 15th fields) in clock ticks, 100 a second on Linux; rss (the 24th) in pages.
      const fields = stat.read();
      const ticks = Number(fields?.[11]) + Number(fields?.[12]);
      const pages = Number(fields?.[21]);
      return Number.isFinite(ticks) && Number.isFinite(pages) ? { cpuSeconds: ticks / 100, residentBytes: pages * 4096 } : undefined;
    },
  };
}
