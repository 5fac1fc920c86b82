// Runs one function invocation (or, with `check`, only loads the module) in its own worker thread. The function's
// source is an ES module; its default export gets a Web `Request` and the project's variables as `env`, and must
// return a `Response`. console output goes back to the server as log lines.
import { parentPort, workerData } from "node:worker_threads";

export interface InvocationData {
  source: string;
  /** Only load the module and check its default export (deploy). */
  check?: boolean;
  request?: { method: string; url: string; headers: [string, string][]; body: Uint8Array | null };
}

export type WorkerMessage =
  | { log: { level: "debug" | "info" | "warn" | "error"; message: string } }
  | { done: { status: number; headers: [string, string][]; body: Uint8Array } }
  | { checked: true }
  | { failed: string };

const port = parentPort;
if (!port) throw new Error("function-worker must run in a worker thread");
const data = workerData as InvocationData;
const MAX_LOG_LINE = 4096;

const format = (value: unknown): string => {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const levels = { log: "info", info: "info", debug: "debug", warn: "warn", error: "error" } as const;
for (const [method, level] of Object.entries(levels)) {
  (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) =>
    port.postMessage({ log: { level, message: args.map(format).join(" ").slice(0, MAX_LOG_LINE) } } satisfies WorkerMessage);
}

const moduleUrl = `data:text/javascript;base64,${Buffer.from(data.source).toString("base64")}`;
/** Stack traces name the function's module `function.mjs` instead of its long data: URL. */
const describe = (error: unknown) => format(error).replaceAll(moduleUrl, "function.mjs");

async function main(): Promise<void> {
  const module = (await import(moduleUrl)) as { default?: unknown };
  const handler = module.default;
  if (typeof handler !== "function") {
    port?.postMessage({ failed: "The module's default export must be a function: export default async (request, env) => new Response(...)" } satisfies WorkerMessage);
    return;
  }
  if (data.check || !data.request) {
    port?.postMessage({ checked: true } satisfies WorkerMessage);
    return;
  }
  const { method, url, headers, body } = data.request;
  const request = new Request(url, { method, headers, ...(body && method !== "GET" && method !== "HEAD" ? { body } : {}) });
  const response = (await (handler as (r: Request, env: NodeJS.ProcessEnv) => unknown)(request, process.env));
  if (!(response instanceof Response)) {
    port?.postMessage({ failed: `The function returned ${format(response)}, not a Response` } satisfies WorkerMessage);
    return;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  port?.postMessage({ done: { status: response.status, headers: [...response.headers], body: bytes } } satisfies WorkerMessage, [bytes.buffer]);
}

main().catch((error: unknown) => port.postMessage({ failed: describe(error) } satisfies WorkerMessage));
