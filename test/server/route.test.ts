// serve() (server/http/route.ts) over a real socket: a handler that answers with a stream is not answered a second
// time when its client leaves before the stream ends. The hostile-input run found it: a download whose client hung up
// once it had every byte (before the server's file stream saw its end) was sent again, which Node refused with
// ERR_HTTP_HEADERS_SENT, logged as a failed request and answered with a 500.
import type { ServerResponse } from "node:http";
import net from "node:net";
import { PassThrough } from "node:stream";
import Fastify from "fastify";
import { expect, it } from "vitest";
import { storageEndpoints } from "../../contract";
import type { ServerContext } from "../../server/context";
import { serve } from "../../server/http/route";

it("does not answer again when the client leaves before a streamed answer ends", async () => {
  const app = Fastify();
  const errors: unknown[] = [];
  app.setErrorHandler((error, _request, reply) => {
    errors.push(error);
    return reply.code(500).send();
  });
  // A download row needs no context before its handler runs; the stream is written to and never ended.
  serve(app, {} as ServerContext, storageEndpoints.downloadObject, async ({ reply }) => reply.header("content-type", "text/plain").send(streamThatNeverEnds()));
  await app.listen({ port: 0, host: "127.0.0.1" });
  let writeHeads = 0;
  const closed = new Promise<void>((resolve) => {
    app.server.prependListener("request", (_request, res: ServerResponse) => {
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        writeHeads++;
        return writeHead(...args);
      });
      res.on("close", () => setTimeout(resolve, 50));
    });
  });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write("GET /v1/projects/proj_x/storage/objects/bkt/key HTTP/1.1\r\nHost: x\r\n\r\n"));
    socket.once("data", () => {
      socket.destroy();
      resolve();
    });
  });
  await closed;
  await app.close();
  expect(errors).toEqual([]);
  expect(writeHeads).toBe(1);
});

function streamThatNeverEnds(): PassThrough {
  const stream = new PassThrough();
  stream.write("first bytes");
  return stream;
}
