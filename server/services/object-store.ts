// Object bytes on disk, under one storage root every process shares. Files are named by random blob ids, never by
// object keys, so no key can reach a path outside the root. Uploads stream to a temporary file, then are renamed.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, type ReadStream } from "node:fs";
import { readdir, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError } from "../errors";
import { newId } from "./crypto";

export interface StagedBlob {
  blobId: string;
  size: number;
  md5: string;
}

export class ObjectStore {
  private constructor(
    readonly root: string,
    readonly maxObjectBytes: number,
    private readonly temporary: boolean,
  ) {}

  /** Under the data dir, or (no data dir: tests) in a temporary folder removed on close. */
  static open(dataDir: string | undefined, maxObjectBytes: number): ObjectStore {
    const root = dataDir ? path.join(dataDir, "storage") : mkdtempSync(path.join(os.tmpdir(), "lubes-storage-"));
    mkdirSync(root, { recursive: true });
    return new ObjectStore(root, maxObjectBytes, !dataDir);
  }

  private pathOf(projectId: string, blobId: string): string {
    if (!/^[a-z0-9_]+$/.test(projectId) || !/^[a-z0-9_]+$/.test(blobId)) throw new Error("invalid blob address");
    return path.join(this.root, projectId, blobId);
  }

  /** Streams `body` into a new blob, counting and hashing as it goes; past the size limit it stops with 413. */
  async stage(projectId: string, body: Readable): Promise<StagedBlob> {
    const blobId = newId("blob");
    const target = this.pathOf(projectId, blobId);
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    const md5 = createHash("md5");
    let size = 0;
    const limit = this.maxObjectBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) return done(new ApiError(413, "payload_too_large", `Object is larger than the limit of ${limit} bytes`, { limit }));
        md5.update(chunk);
        done(null, chunk);
      },
    });
    const out = createWriteStream(partial);
    try {
      await pipeline(body, meter, out);
      await rename(partial, target);
    } catch (error) {
      // The file may still be opening when the pipeline fails: removed before it exists, it would be left behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once("close", () => resolve()));
      await rm(partial, { force: true });
      throw error;
    }
    return { blobId, size, md5: md5.digest("hex") };
  }

  read(projectId: string, blobId: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(projectId, blobId), range ?? {});
  }

  async remove(projectId: string, blobId: string): Promise<void> {
    await rm(this.pathOf(projectId, blobId), { force: true });
  }

  async removeProject(projectId: string): Promise<void> {
    if (!/^[a-z0-9_]+$/.test(projectId)) return;
    await rm(path.join(this.root, projectId), { recursive: true, force: true });
  }

  /**
   * Removes half-written uploads (`<blob>.partial`) nothing has written to for `idleMs`: their upload was cut off with
   * its process. Answers how many.
   */
  async removeStalePartials(idleMs: number): Promise<number> {
    const cutoff = Date.now() - idleMs;
    let removed = 0;
    for (const project of await readdir(this.root, { withFileTypes: true })) {
      if (!project.isDirectory()) continue;
      const dir = path.join(this.root, project.name);
      for (const name of (await readdir(dir)).filter((file) => file.endsWith(".partial"))) {
        const file = path.join(dir, name);
        const written = await stat(file).then((info) => info.mtimeMs, () => Infinity);
        if (written > cutoff) continue;
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  close(): void {
    if (this.temporary) rmSync(this.root, { recursive: true, force: true });
  }
}
