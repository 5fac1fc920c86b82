// A round-robin HTTP proxy in front of several lubes-server processes, as a load balancer runs them: each request goes
// to the next upstream; one that refuses the connection (a killed process) is skipped, since nothing was sent to it;
// one that fails after the request was sent answers 502, and the client's retry decides (as nginx's
// `proxy_next_upstream error` does for requests already sent).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Requests each upstream received, by index. */
  counts: number[];
  close: () => Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

const readBody = async (incoming: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** `upstreams` are base URLs like `http://127.0.0.1:1234/v1` (the path is ignored: requests keep their own). */
export async function startRoundRobinProxy(upstreams: readonly string[]): Promise<RoundRobinProxy> {
  const targets = upstreams.map((url) => new URL(url));
  const counts = targets.map(() => 0);
  let next = 0;

  const forward = (index: number, incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse, tried: number): void => {
    const target = targets[index] as URL;
    const headers = Object.fromEntries(Object.entries(incoming.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const upstream = request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers });
    counts[index] = (counts[index] ?? 0) + 1;
    upstream.on("response", (answer) => {
      const kept = Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name));
      outgoing.writeHead(answer.statusCode ?? 502, Object.fromEntries(kept));
      answer.pipe(outgoing);
      answer.on("error", () => outgoing.destroy());
    });
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED" && tried + 1 < targets.length) return forward((index + 1) % targets.length, incoming, body, outgoing, tried + 1);
      if (outgoing.headersSent) return outgoing.destroy();
      outgoing.writeHead(502, { "content-type": "application/json" });
      outgoing.end(JSON.stringify({ error: { code: "bad_gateway", message: `The upstream failed: ${error.code ?? error.message}`, details: {} } }));
    });
    upstream.end(body);
  };

  const server: Server = createServer((incoming, outgoing) => {
    readBody(incoming).then((body) => {
      const index = next;
      next = (next + 1) % targets.length;
      forward(index, incoming, body, outgoing, 0);
    }, () => outgoing.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`, counts,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
