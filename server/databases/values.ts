// One JSON shape for query results on both engines: each value arrives as Postgres's text (PGlite splits arrays
// itself), and becomes a boolean, a number (int2, int4, oid, float4, float8), parsed JSON (json, jsonb), an array of
// those, or else stays the text Postgres prints (int8 and numeric keep their precision; timestamps keep their zone).
import { parse as parseArrayLiteral } from "postgres-array";

const BOOL = 16;
const NUMBERS = new Set([21, 23, 26, 700, 701]);
const JSON_TYPES = new Set([114, 3802]);
/** Array type OID → element type OID, for the built-in array types. */
const ELEMENT_OF: Record<number, number> = {
  1000: 16, 1005: 21, 1007: 23, 1028: 26, 1021: 700, 1022: 701, 199: 114, 3807: 3802,
  1003: 19, 1016: 20, 1231: 1700, 1009: 25, 1015: 1043, 1014: 1042, 1115: 1114, 1185: 1184, 1182: 1082, 2951: 2950,
};

function scalar(text: string, oid: number): unknown {
  if (oid === BOOL) return text === "t" || text === "true";
  if (NUMBERS.has(oid)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text; // NaN and Infinity have no JSON form
  }
  if (JSON_TYPES.has(oid)) return JSON.parse(text) as unknown;
  return text;
}

function mapDeep(value: unknown, fn: (text: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapDeep(item, fn));
  // Array elements arrive as Postgres text, or null; anything else is turned back into text rather than lost.
  if (value === null || value === undefined) return null;
  return fn(typeof value === "string" ? value : JSON.stringify(value));
}

export function normalizeValue(value: unknown, oid: number): unknown {
  if (value === null || value === undefined) return null;
  const element = ELEMENT_OF[oid];
  if (element !== undefined) {
    const items = typeof value === "string" ? parseArrayLiteral(value) : value;
    return mapDeep(items, (text) => scalar(text, element));
  }
  return typeof value === "string" ? scalar(value, oid) : value;
}

export function normalizeRows(rows: readonly Record<string, unknown>[], fields: readonly { name: string; oid: number }[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(fields.map((f) => [f.name, normalizeValue(row[f.name], f.oid)])));
}

/** Identity parsers for every built-in OID: the engines hand us text, and normalizeValue decides. */
export const RAW_TEXT_PARSERS: Record<number, (text: string) => string> = Object.fromEntries(
  Array.from({ length: 16_384 }, (_, oid) => [oid, (text: string) => text]),
);

/** Objects and arrays are sent as JSON text, so a json/jsonb parameter takes them as they are. */
export const serializeParam = (value: unknown): unknown => (value !== null && typeof value === "object" ? JSON.stringify(value) : value);
