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
