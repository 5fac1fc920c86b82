import { z } from "zod";
console.log(JSON.stringify(z.toJSONSchema(z.object({ file: z.file().describe("bytes") }), { io: "input" })));
