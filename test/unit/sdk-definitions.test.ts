// The SDK classes are written by hand, so they are checked against the kinds' definitions: the same type token,
// exactly the inputs of the definition as the class's args, its inputs and outputs as the class's outputs, the same
// secrets, and the same docs (the class's first paragraph and every property's doc comment). Read from the source with
// the TypeScript compiler, as a person reads the class.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/resources";
import { PROVIDER_CONFIG } from "../../provider/schema";

const SDK = path.resolve(__dirname, "../../sdk");

interface SdkClass {
  file: string;
  token: string;
  args: string[];
  outputs: string[];
  secrets: string[];
  /** The class's doc comment, up to its first blank line. */
  description: string;
  /** Each arg's and output's doc comment. */
  argDocs: Record<string, string>;
  outputDocs: Record<string, string>;
}

/** A node's doc comment as one line of text. */
const docOf = (node: ts.Node): string =>
  ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "").join(" ").replace(/\s+/g, " ").trim();

/** The class a file of sdk/ declares: its token, args, declared outputs and secret outputs. */
function readClass(file: string): SdkClass | undefined {
  const source = ts.createSourceFile(file, readFileSync(path.join(SDK, file), "utf8"), ts.ScriptTarget.ES2022, true);
  const found: SdkClass = { file, token: "", args: [], outputs: [], secrets: [], description: "", argDocs: {}, outputDocs: {} };
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text.endsWith("Args")) {
      found.args = node.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
      for (const member of node.members) if (member.name && ts.isIdentifier(member.name)) found.argDocs[member.name.text] = docOf(member);
    }
    if (ts.isClassDeclaration(node)) {
      const full = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "").join("\n");
      found.description = (full.split(/\n\s*\n/)[0] ?? "").replace(/\s+/g, " ").trim();
    }
    if (ts.isPropertyDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) && ts.isIdentifier(node.name)) {
      found.outputs.push(node.name.text);
      found.outputDocs[node.name.text] = docOf(node);
    }
    // A kind's class extends LubesResource (a component does not): `super("lubes:index:<Kind>", name, props, opts, [secret outputs])`
    if (ts.isClassDeclaration(node) && !node.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText(source) === "LubesResource"))) return;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) {
      const [token, , , , secrets] = node.arguments;
      if (token && ts.isStringLiteral(token)) found.token = token.text;
      if (secrets && ts.isArrayLiteralExpression(secrets)) found.secrets = secrets.elements.flatMap((e) => (ts.isStringLiteral(e) ? [e.text] : []));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.token ? found : undefined;
}

const classes = readdirSync(SDK).filter((f) => f.endsWith(".ts") && f !== "provider.ts").flatMap((f) => readClass(f) ?? []);
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

describe("the SDK against the kinds' definitions", () => {
  it("has one class for every kind, and none without a kind", () => {
    expect(sorted(classes.map((c) => c.token))).toEqual(sorted(kinds.map((k) => k.type)));
  });

  it.each(kinds.map((kind) => [kind.type, kind] as const))("%s: args, outputs and secrets are the definition's", (type, kind) => {
    const sdk = classes.find((c) => c.token === type);
    expect(sdk, `no SDK class for ${type}`).toBeDefined();
    if (!sdk) return;
    const inputs = Object.keys(kind.inputs.shape);
    expect(sorted(sdk.args), sdk.file).toEqual(sorted(inputs));
    // Every input is an output too; `stateVersion` is the provider's own bookkeeping, not a property for programs.
    const outputs = [...inputs, ...(kind.computed ?? []), ...Object.keys(kind.outputs.shape)].filter((name) => name !== "stateVersion");
    expect(sorted(sdk.outputs), sdk.file).toEqual(sorted(outputs));
    expect(sorted(sdk.secrets), sdk.file).toEqual(sorted(kind.secretOutputs));
  });
});

describe("the SDK's docs against the kinds' definitions", () => {
  it.each(kinds.map((kind) => [kind.type, kind] as const))("%s: the class and every arg and output say what the definition says", (type, kind) => {
    const sdk = classes.find((c) => c.token === type);
    if (!sdk) throw new Error(`no SDK class for ${type}`);
    expect(sdk.description, sdk.file).toBe(kind.description);
    for (const [name, doc] of Object.entries(sdk.argDocs)) expect(doc, `${sdk.file}: ${name}`).toBe(kind.docs[name]);
    for (const [name, doc] of Object.entries(sdk.outputDocs)) expect(doc, `${sdk.file}: ${name}`).toBe(kind.docs[name]);
  });
});

describe("the SDK's Provider against the plugin's configuration", () => {
  it("takes exactly the provider's settings, each with the schema's doc", () => {
    const source = ts.createSourceFile("provider.ts", readFileSync(path.join(SDK, "provider.ts"), "utf8"), ts.ScriptTarget.ES2022, true);
    const docs: Record<string, string> = {};
    const visit = (node: ts.Node): void => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === "ProviderArgs") {
        for (const member of node.members) if (member.name && ts.isIdentifier(member.name)) docs[member.name.text] = docOf(member);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    expect(docs).toEqual(Object.fromEntries(Object.entries(PROVIDER_CONFIG).map(([name, spec]) => [name, spec.description])));
  });
});
