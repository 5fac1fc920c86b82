// Warm sandboxed processes, so that an invocation does not pay a process start. A process is reused only for the
// same function version, limits and variables (its key), one run at a time; between runs it is frozen (SIGSTOP), so
// nothing of the function runs while it waits. It is replaced after MAX_RUNS_PER_PROCESS runs, when its resident
// memory nears its cap, after a run that did not answer (timeout, error, out of memory), and after IDLE_MS unused.
// At most MAX_IDLE wait at once across the server; the oldest goes first.
import { MAX_RUNS_PER_PROCESS, memoryCapBytes, startSandbox, type Sandbox, type SandboxLimits } from "./sandbox";

const IDLE_MS = 60_000;
const MAX_IDLE = 16;

interface Idle {
  key: string;
  sandbox: Sandbox;
  timer: NodeJS.Timeout;
}

export class SandboxPool {
  private idle: Idle[] = [];

  /** A warm process for `key`, or a new one. */
  acquire(key: string, env: Record<string, string>, limits: SandboxLimits): Sandbox {
    let entry: Idle | undefined;
    while ((entry = this.idle.find((candidate) => candidate.key === key))) {
      this.idle = this.idle.filter((candidate) => candidate !== entry);
      clearTimeout(entry.timer);
      // One that died while it waited (killed from outside) is passed over.
      if (!entry.sandbox.alive()) continue;
      entry.sandbox.thaw();
      return entry.sandbox;
    }
    return startSandbox(env, limits);
  }

  /** Gives back a process whose run answered: kept warm, or replaced if it is worn or heavy. */
  release(key: string, sandbox: Sandbox, limits: SandboxLimits): void {
    const resident = sandbox.residentBytes();
    const worn = sandbox.runs >= MAX_RUNS_PER_PROCESS || resident === undefined || resident > memoryCapBytes(limits) - 0.2 * limits.memoryMb * 1024 * 1024;
    if (worn) return sandbox.kill();
    sandbox.freeze();
    const timer = setTimeout(() => this.evict((entry) => entry.sandbox === sandbox), IDLE_MS);
    timer.unref();
    this.idle.push({ key, sandbox, timer });
    while (this.idle.length > MAX_IDLE) this.evict((entry) => entry === this.idle[0]);
  }

  /** Kills every waiting process (the server is closing). */
  close(): void {
    this.evict(() => true);
  }

  private evict(match: (entry: Idle) => boolean): void {
    for (const entry of this.idle.filter(match)) {
      clearTimeout(entry.timer);
      entry.sandbox.kill();
    }
    this.idle = this.idle.filter((entry) => !match(entry));
  }
}
