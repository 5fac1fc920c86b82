// Routes that take bodies as bytes (object uploads, function invocations) live in a scope without the JSON parser.
import type { FastifyInstance } from "fastify";
import type { Readable } from "node:stream";
import { ApiError } from "../errors";

export async function rawBodyScope(app: FastifyInstance, routes: (scope: FastifyInstance) => Promise<void> | void): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Leave the body unread: the route streams it from request.raw.
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    await routes(scope);
  });
}

/** Reads a whole body into memory, refusing one over `limit` bytes with 413. */
export async function readBody(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new ApiError(413, "payload_too_large", `Request body is larger than ${limit} bytes`, { limit });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a body nobody wants away, up to `limit` bytes. A server that answers and closes the connection with request
 * bytes still unread makes the kernel reset it, which can cut the client's answer short.
 */
export async function discardBody(stream: Readable, limit: number): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    let size = 0;
    const done = () => {
      stream.off("data", onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit it is not worth waiting for: Node discards the rest once the answer is out.
      if (size > limit) done();
    };
    stream.on("data", onData).once("end", done).once("error", done).once("close", done);
  });
}
