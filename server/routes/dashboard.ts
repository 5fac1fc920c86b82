// The dashboard (server/dashboard): its built files at /, and its index.html for every page path it routes itself.
// The API stays under /v1; anything else that is not a page a browser asks for gets the API's 404 envelope.
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { API_VERSION_PREFIX } from "../../contract";

/** Where the build is: beside the compiled server (dist/server/routes → dist/dashboard), or run from source. */
export function dashboardDir(): string | undefined {
  const candidates = [resolve(__dirname, "../../dashboard"), resolve(__dirname, "../dist/dashboard")];
  return candidates.find((dir) => existsSync(join(dir, "index.html")));
}

/**
 * The page may run only its own script and talk only to this server; no other site may frame it. No referrer leaves
 * it: a reset link carries its token in the URL.
 */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
};

/** A URL under the API's prefix (`/v1`, `/v1/…`, `/v1?…`): the API's, never the dashboard's. */
export const isApiPath = (url: string): boolean => url === API_VERSION_PREFIX || url.startsWith(`${API_VERSION_PREFIX}/`) || url.startsWith(`${API_VERSION_PREFIX}?`);

/** A browser asking for a page: GET, outside /v1, no file extension, and HTML accepted. */
export function isPageRequest(request: FastifyRequest): boolean {
  const path = request.url.split("?")[0] ?? "";
  if ((request.method !== "GET" && request.method !== "HEAD") || isApiPath(path)) return false;
  return !/\.[A-Za-z0-9]+$/.test(path) && (request.headers.accept ?? "").includes("text/html");
}

/**
 * Serves the dashboard's files and its page at `/`; answers the page it routes itself through the returned function,
 * which the app's not-found handler calls for a browser's page request.
 */
export async function dashboardRoutes(app: FastifyInstance, dir = dashboardDir()): Promise<(reply: FastifyReply) => FastifyReply> {
  const sendPage = (reply: FastifyReply) => {
    if (!dir) {
      return reply.code(503).header("content-type", "text/plain; charset=utf-8").send("The Lubes dashboard is not built: run `npm run build:dashboard`, then reload.\n");
    }
    return reply.headers(PAGE_HEADERS).sendFile("index.html", dir, { cacheControl: false });
  };
  if (dir) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      // Only the built files get routes, so every other path reaches the not-found handler.
      wildcard: false,
      index: false,
      // Script and stylesheet names carry their content's hash: a new build is a new name.
      immutable: true,
      maxAge: "365d",
      setHeaders: (response) => void response.setHeader("x-content-type-options", "nosniff"),
    });
  }
  app.get("/", (_request, reply) => sendPage(reply));
  return sendPage;
}
