import { readFileSync } from "node:fs";
import { createConfig, lintFromString } from "@redocly/openapi-core";
const config = await createConfig({ extends: ["recommended"] });
const problems = await lintFromString({ source: readFileSync("/tmp/rt/doc.json", "utf8"), absoluteRef: "/tmp/openapi.json", config });
const counts: Record<string, number> = {};
for (const p of problems) counts[`${p.severity} ${p.ruleId}`] = (counts[`${p.severity} ${p.ruleId}`] ?? 0) + 1;
console.log(counts);
for (const p of problems.slice(0, 25)) console.log(p.ruleId, p.message, p.location[0]?.pointer);
