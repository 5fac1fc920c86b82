// Warm sandboxed processes, so that an invocation does not pay a process start. A process is reused only for the
// same function version, limits and variables (its key), one run at a time. Once it has waited FREEZE_AFTER_MS
// without a run it is frozen (SIGSTOP), so nothing of the function runs while it waits; a process reused sooner
// (steady traffic) is not stopped, which spares two signals and a reschedule on each run. It is replaced after
// MAX_RUNS_PER_PROCESS runs, when its resident memory nears its cap or it has used half its CPU time, after a run that
// did not answer (timeout, error, out of memory), and after IDLE_MS unused. At most MAX_IDLE wait at once across the
// server; the oldest goes first.
//
// A run that finds no warm process takes a spare: a process of the same limits started ahead of need, which has no
// variables and no function yet (the run brings both). Once limits have needed a new process, a spare of them is kept
// ready (at most MAX_SPARES limits, the most recently used), so a deploy, a changed variable or a second concurrent
// run does not wait for Node to start.
import { cpuLimitSeconds, MAX_RUNS_PER_PROCESS, memoryCapBytes, startSandbox, type Sandbox, type SandboxLimits } from "./sandbox";

const FREEZE_AFTER_MS = 5;
const IDLE_MS = 60_000;
const MAX_IDLE = 16;
const SPARE_DELAY_MS = 100;
const SPARE_IDLE_MS = 10 * 60_000;
const MAX_SPARES = 4;

interface Idle {
  key: string;
  sandbox: Sandbox;
  frozen: boolean;
  /** Freezes it after FREEZE_AFTER_MS, then evicts it after IDLE_MS. */
  timer: NodeJS.Timeout;
}

interface Spare {
  /** Its limits. */
  key: string;
  sandbox: Sandbox;
  timer: NodeJS.Timeout;
}

const limitsKey = (limits: SandboxLimits) => `${limits.timeoutMs}:${limits.memoryMb}`;

export class SandboxPool {
  private idle: Idle[] = [];
  /** By limits, in the order they were last needed. */
  private spares = new Map<string, Spare>();
  /** Limits whose last run needed a new process: a spare of them is started when that run ends. */
  private sparesWanted = new Set<string>();
  private closed = false;

  /** A warm process for `key`, else a spare of the same limits, else a new one. */
  acquire(key: string, limits: SandboxLimits): Sandbox {
    let entry: Idle | undefined;
    while ((entry = this.idle.find((candidate) => candidate.key === key))) {
      this.idle = this.idle.filter((candidate) => candidate !== entry);
      clearTimeout(entry.timer);
      // One that died while it waited (killed from outside) is passed over.
      if (!entry.sandbox.alive()) continue;
      if (entry.frozen) entry.sandbox.thaw();
      return entry.sandbox;
    }
    this.sparesWanted.add(limitsKey(limits));
    return this.takeSpare(limits) ?? startSandbox(limits);
  }

  /**
   * Gives back a process after its run: kept warm if the run answered (`reusable`), unless it is worn or heavy; else
   * killed. A spare its limits want is started a moment after the run's answer has gone: starting a process holds the
   * event loop for some milliseconds, which should not fall on the answer or on the requests just behind it.
   */
  release(key: string, sandbox: Sandbox, limits: SandboxLimits, reusable: boolean): void {
    if (this.sparesWanted.delete(limitsKey(limits))) setTimeout(() => this.prepareSpare(limits), SPARE_DELAY_MS).unref();
    const usage = reusable ? sandbox.usage() : undefined;
    const worn = !usage || sandbox.runs >= MAX_RUNS_PER_PROCESS || usage.cpuSeconds > cpuLimitSeconds(limits) / 2 ||
      usage.residentBytes > memoryCapBytes(limits) - 0.2 * limits.memoryMb * 1024 * 1024;
    if (worn || this.closed) return sandbox.kill();
    const entry: Idle = { key, sandbox, frozen: false, timer: setTimeout(() => this.freeze(entry), FREEZE_AFTER_MS) };
    entry.timer.unref();
    this.idle.push(entry);
    while (this.idle.length > MAX_IDLE) this.evict((waiting) => waiting === this.idle[0]);
  }

  /** Kills every waiting process and spare (the server is closing). */
  close(): void {
    this.closed = true;
    this.evict(() => true);
    for (const spare of this.spares.values()) this.dropSpare(spare);
  }

  /** The spare process kept ready for these limits, if there is one (for tests and diagnostics). */
  spare(limits: SandboxLimits): Sandbox | undefined {
    return this.spares.get(limitsKey(limits))?.sandbox;
  }

  private takeSpare(limits: SandboxLimits): Sandbox | undefined {
    const spare = this.spares.get(limitsKey(limits));
    if (!spare) return undefined;
    this.spares.delete(limitsKey(limits));
    clearTimeout(spare.timer);
    if (spare.sandbox.alive()) return spare.sandbox;
    spare.sandbox.kill();
    return undefined;
  }

  /** Starts a spare of these limits; the least recently needed limits lose theirs. */
  private prepareSpare(limits: SandboxLimits): void {
    const key = limitsKey(limits);
    if (this.closed || this.spares.has(key)) return;
    const spare: Spare = { key, sandbox: startSandbox(limits, { spare: true }), timer: setTimeout(() => this.dropSpare(spare), SPARE_IDLE_MS) };
    spare.timer.unref();
    this.spares.set(key, spare);
    spare.sandbox.child.once("close", () => this.dropSpare(spare));
    for (const oldest of [...this.spares.values()].slice(0, Math.max(0, this.spares.size - MAX_SPARES))) this.dropSpare(oldest);
  }

  /** Ends a spare and forgets it (once taken by a run, it is no longer the pool's to end). */
  private dropSpare(spare: Spare): void {
    if (this.spares.get(spare.key) !== spare) return;
    this.spares.delete(spare.key);
    clearTimeout(spare.timer);
    spare.sandbox.kill();
  }

  private freeze(entry: Idle): void {
    entry.sandbox.freeze();
    entry.frozen = true;
    entry.timer = setTimeout(() => this.evict((waiting) => waiting === entry), IDLE_MS - FREEZE_AFTER_MS);
    entry.timer.unref();
  }

  private evict(match: (entry: Idle) => boolean): void {
    for (const entry of this.idle.filter(match)) {
      clearTimeout(entry.timer);
      entry.sandbox.kill();
    }
    this.idle = this.idle.filter((entry) => !match(entry));
  }
}
