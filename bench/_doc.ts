import { endpoints } from "../contract";
import { buildOpenApiDocument } from "../server/openapi";
const doc = buildOpenApiDocument(endpoints, "/v1");
console.log(JSON.stringify(doc, null, 1));
