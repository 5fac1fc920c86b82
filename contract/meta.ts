// The API's own description and liveness.
import { z } from "zod";
import { endpoint } from "./common";

const tag = "Meta";
export const metaEndpoints = {
  openapi: endpoint({
    operationId: "getOpenApiDocument", method: "GET", path: "/openapi.json", summary: "This API's OpenAPI 3.1 document", tag,
    extension: true, auth: "none", status: 200, response: z.record(z.string(), z.unknown()),
  }),
  health: endpoint({
    operationId: "getHealth", method: "GET", path: "/health", summary: "Liveness and database reachability", tag,
    extension: true, auth: "none", status: 200, response: z.object({ status: z.literal("ok"), database: z.enum(["pglite", "postgres"]) }),
  }),
};

/** Dev outbox (only with LUBES_DEV=1): the mail lubes-server would have sent, newest first, for tests to read. */
export const DevMail = z.object({ recipient: z.string(), subject: z.string(), body: z.string(), token: z.string().nullable(), created_at: z.string() });
export const devEndpoints = {
  outbox: endpoint({
    operationId: "getDevOutbox", method: "GET", path: "/dev/outbox", summary: "Mail that would have been sent (LUBES_DEV=1 only)", tag,
    extension: true, auth: "none", query: z.object({ email: z.string().min(1).max(254) }), status: 200, response: z.object({ data: z.array(DevMail) }),
    answers: { 403: "Asked from another machine than the server's: the outbox answers only to loopback clients" },
  }),
};
