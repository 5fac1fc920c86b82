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

/** Fault injection as `LUBES_FAULTS` writes it, e.g. `fail=0.1,drop=0.02@/db/migrations,delay=20-200`; `off` for none. */
export const FaultsSetting = z.object({ faults: z.string() });
export const SetFaultsBody = z.strictObject({ faults: z.string().max(2000) });
const LOOPBACK_ONLY = { 403: "Asked from another machine than the server's: fault injection answers only to loopback clients" } as const;
/** Served only by a server started with `LUBES_FAULTS` (even `off`): reliability tests switch faults while it runs. */
export const faultEndpoints = {
  get: endpoint({
    operationId: "getFaults", method: "GET", path: "/admin/faults", summary: "The faults injected now (LUBES_FAULTS servers only)", tag,
    extension: true, auth: "none", status: 200, response: FaultsSetting, answers: LOOPBACK_ONLY,
  }),
  set: endpoint({
    operationId: "setFaults", method: "PUT", path: "/admin/faults", summary: "Change the faults injected, at once (LUBES_FAULTS servers only)", tag,
    extension: true, auth: "none", body: SetFaultsBody, status: 200, response: FaultsSetting, answers: LOOPBACK_ONLY,
  }),
};
