// The Pulumi package schema of the plugin, generated from the kinds' definitions (their zod input and output schemas,
// identity, secrets, autonaming and docs), so Python, Go, .NET and YAML programs and `pulumi import` see exactly what
// the provider checks. `schema.json` at the root is this, committed; a test fails when it is stale.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { kinds, type ResourceKind } from "./resources";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind has its own input and output types
type AnyKind = ResourceKind<any, any>;

interface JsonSchema {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  default?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
}

export interface PropertySpec {
  type?: string;
  $ref?: string;
  description?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  default?: unknown;
  secret?: boolean;
  replaceOnChanges?: boolean;
  defaultInfo?: { environment: string[] };
}

interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required: string[];
}

export interface ResourceSpec {
  description: string;
  properties: Record<string, PropertySpec>;
  required: string[];
  inputProperties: Record<string, PropertySpec>;
  requiredInputs: string[];
}

export interface PackageSchema {
  name: string;
  displayName: string;
  version: string;
  description: string;
  keywords: string[];
  license: string;
  publisher: string;
  config: { variables: Record<string, PropertySpec>; defaults: string[] };
  provider: { description: string; inputProperties: Record<string, PropertySpec> };
  resources: Record<string, ResourceSpec>;
  types: Record<string, ObjectTypeSpec>;
  language: Record<string, unknown>;
}

/** The provider's own settings: stack config `lubes:<name>`, or the properties of an explicit `lubes.Provider`. */
export const PROVIDER_CONFIG: Record<string, PropertySpec> = {
  apiKey: { type: "string", secret: true, description: "The Lubes API key (`lubes_…`). Also read from LUBES_API_KEY.", defaultInfo: { environment: ["LUBES_API_KEY"] } },
  apiUrl: {
    type: "string",
    description: "The Lubes API's base URL, for example `https://api.lubes.dev/v1` (the default) or `http://127.0.0.1:8787/v1` for a local lubes-server. Also read from LUBES_API_URL.",
    defaultInfo: { environment: ["LUBES_API_URL"] },
  },
  allowInsecureHttp: {
    type: "boolean",
    description: "Send the API key over plain http to a host that is not this machine (only on a network you trust). Also read from LUBES_ALLOW_INSECURE_HTTP.",
    defaultInfo: { environment: ["LUBES_ALLOW_INSECURE_HTTP"] },
  },
};

const kindName = (kind: AnyKind): string => kind.type.split(":")[2] ?? kind.type;
const capitalised = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** A JSON Schema of zod's into a Pulumi property; nested objects become named types in `types`. */
function property(schema: JsonSchema, typeName: string, types: Record<string, ObjectTypeSpec>): PropertySpec {
  const description = schema.description;
  const withDoc = (spec: PropertySpec): PropertySpec => ({ ...spec, ...(description ? { description } : {}) });
  // `string | null` and unions of string forms (an id or a name) are strings to Pulumi.
  const variants = schema.anyOf?.filter((v) => v.type !== "null") ?? [];
  if (variants.length > 0) return withDoc({ ...property({ ...variants[0] }, typeName, types), ...defaultOf(schema) });
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
    case "boolean":
    case "integer":
    case "number":
      return withDoc({ type, ...defaultOf(schema) });
    case "array":
      return withDoc({ type: "array", items: property(schema.items ?? {}, typeName.replace(/s$/, ""), types) });
    case "object": {
      if (!schema.properties || Object.keys(schema.properties).length === 0) {
        const values = typeof schema.additionalProperties === "object" ? schema.additionalProperties : { type: "string" };
        return withDoc({ type: "object", additionalProperties: property(values, typeName, types) });
      }
      types[`lubes:index:${typeName}`] = {
        type: "object",
        ...(description ? { description } : {}),
        properties: Object.fromEntries(Object.entries(schema.properties).map(([name, value]) => [name, property(value, `${typeName}${capitalised(name)}`, types)])),
        required: schema.required ?? [],
      };
      return withDoc({ $ref: `#/types/lubes:index:${typeName}` });
    }
    default:
      throw new Error(`${typeName}: no Pulumi type for JSON Schema ${JSON.stringify(schema)}`);
  }
}

/** Pulumi schema defaults are primitives only; arrays and objects keep theirs in the description. */
const defaultOf = (schema: JsonSchema): { default?: unknown } =>
  schema.default !== undefined && schema.default !== null && typeof schema.default !== "object" ? { default: schema.default } : {};

/** The property's doc, with the allowed values of an enum (a plain string keeps every language simple). */
function documented(kind: AnyKind, key: string, schema: JsonSchema): JsonSchema {
  const values = schema.enum ?? schema.items?.enum;
  const allowed = values ? ` One of: ${values.map((v) => `\`${String(v)}\``).join(", ")}.` : "";
  return { ...schema, description: `${kind.docs[key] ?? ""}${allowed}` };
}

function resource(kind: AnyKind, types: Record<string, ObjectTypeSpec>): ResourceSpec {
  const name = kindName(kind);
  const inputs = z.toJSONSchema(kind.inputs, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const outputs = z.toJSONSchema(kind.outputs, { io: "output", unrepresentable: "any" }) as JsonSchema;
  const spec = (key: string, schema: JsonSchema): PropertySpec => ({
    ...property(documented(kind, key, schema), `${name}${capitalised(key)}`, types),
    ...(kind.secretOutputs.includes(key) ? { secret: true } : {}),
    ...(kind.replaceOnChanges.includes(key) ? { replaceOnChanges: true } : {}),
  });
  const inputProperties = Object.fromEntries(Object.entries(inputs.properties ?? {}).map(([key, value]) => [key, spec(key, value)]));
  const computed = Object.fromEntries((kind.computed ?? []).map((key) => [key, spec(key, { type: "string" })]));
  const outputProperties = Object.fromEntries(Object.entries(outputs.properties ?? {}).filter(([key]) => key !== "stateVersion").map(([key, value]) => [key, spec(key, value)]));
  // An autonamed input is required of the provider's check, not of the program.
  const requiredInputs = (inputs.required ?? []).filter((key) => key !== kind.autoName?.property);
  // Outputs always present: required inputs, inputs with a default other than null, values that are never null.
  const nullable = (value: JsonSchema) => (Array.isArray(value.type) && value.type.includes("null")) || (value.anyOf ?? []).some((v) => v.type === "null");
  const optional = new Set([
    ...Object.entries(inputs.properties ?? {}).filter(([key, value]) => !(inputs.required ?? []).includes(key) && (value.default === undefined || value.default === null || nullable(value))).map(([key]) => key),
    ...Object.entries(outputs.properties ?? {}).filter(([, value]) => nullable(value)).map(([key]) => key),
  ]);
  const properties = { ...inputProperties, ...computed, ...outputProperties };
  return {
    description: `${kind.description}\n\nImport: \`pulumi import ${kind.type} <name> <id>\`, where the id is ${kind.importId}.`,
    properties,
    required: Object.keys(properties).filter((key) => !optional.has(key)).sort(),
    inputProperties,
    requiredInputs,
  };
}

/** The whole package schema, as `GetSchema` returns it and `schema.json` holds it. */
export function packageSchema(version: string): PackageSchema {
  const types: Record<string, ObjectTypeSpec> = {};
  const resources = Object.fromEntries(kinds.map((kind) => [kind.type, resource(kind, types)]));
  return {
    name: "lubes",
    displayName: "Lubes",
    version,
    description: "Declarative Lubes: organizations, projects, database branches and migrations, functions, storage, deployments and environment variables.",
    keywords: ["pulumi", "lubes", "category/cloud", "kind/native"],
    license: "Apache-2.0",
    publisher: "Lubes",
    config: { variables: PROVIDER_CONFIG, defaults: [] },
    provider: { description: "The Lubes provider: one Lubes account (API key and URL). Declare more than one to use several accounts in one program.", inputProperties: PROVIDER_CONFIG },
    resources,
    types,
    language: { python: { packageName: "pulumi_lubes" } },
  };
}

// `npm run schema` writes schema.json at the root (test/unit/schema.test.ts fails when it is stale).
if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's own version, read only here
  const { version } = require("../package.json") as { version: string };
  writeFileSync(`${__dirname}/../schema.json`, `${JSON.stringify(packageSchema(version), null, 2)}\n`);
}
