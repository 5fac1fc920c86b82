// The compiled lubes-server (`npm run build` first) as a child process, as an operator runs it: for the tests that kill
// a process (SIGKILL) or run several on one PostgreSQL.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const SERVER = path.resolve(__dirname, "../../server");
const bin = (JSON.parse(readFileSync(path.join(SERVER, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["lubes-server"] ?? "";

/** Polls `what` until it gives a value (a condition, never a fixed time). */
export const until = async <T>(what: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> => {
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

export interface ServerProcess {
  child: ChildProcess;
  /** The API's base URL, `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  /** SIGKILL, resolved once it is gone. */
  kill: () => Promise<void>;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts the compiled bin with `env` added to this process's; resolves once it says it is ready. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(SERVER, bin)], { env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => children.delete(child));
  const url = await until(() => {
    if (child.exitCode !== null) throw new Error(`lubes-server exited:\n${output}`);
    return /ready at (http:\/\/\S+)/.exec(output)?.[1];
  });
  return {
    child, url, output: () => output,
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Stops every process this file started (they are also killed when the test process exits). */
export async function stopServerProcesses(): Promise<void> {
  await Promise.all([...children].map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  }));
}
