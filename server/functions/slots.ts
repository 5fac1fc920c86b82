// How many function runs this process allows at once: overall (the machine's share) and per project (one tenant
// cannot take them all). Beyond either, a run is refused at once rather than queued: the caller gets 429 (its
// project's limit) or 503 (the server's), with Retry-After, and nothing waits in memory.
import { ApiError } from "../errors";

export const DEFAULT_MAX_INVOCATIONS = 32;
export const DEFAULT_MAX_INVOCATIONS_PER_PROJECT = 8;
/** A slot frees as soon as a run ends. */
const RETRY_SOON = { "Retry-After": "1" };

export class InvocationSlots {
  private total = 0;
  private readonly byProject = new Map<string, number>();

  constructor(private readonly max: number, private readonly maxPerProject: number) {}

  /** Takes a slot for one run of a project's function; the returned release gives it back (once). */
  take(projectId: string): () => void {
    const used = this.byProject.get(projectId) ?? 0;
    if (used >= this.maxPerProject) {
      throw new ApiError(429, "too_many_invocations", `This project already runs ${used} function invocations at once, its limit on this server; retry shortly`, { limit: this.maxPerProject, retry_after_seconds: 1 }, RETRY_SOON);
    }
    if (this.total >= this.max) {
      throw new ApiError(503, "server_busy", `This server already runs ${this.total} function invocations at once, its limit; retry shortly`, { limit: this.max, retry_after_seconds: 1 }, RETRY_SOON);
    }
    this.total += 1;
    this.byProject.set(projectId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.byProject.get(projectId) ?? 1) - 1;
      if (left > 0) this.byProject.set(projectId, left);
      else this.byProject.delete(projectId);
    };
  }
}
