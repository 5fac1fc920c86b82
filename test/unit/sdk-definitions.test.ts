// The SDK classes are written by hand for now, so they are checked against the kinds' definitions: the same type
// token, exactly the inputs of the definition as the class's args, its inputs and outputs as the class's outputs, and
// the same secrets. Read from the source with the TypeScript compiler, as a person reads the class.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/resources";

const SDK = path.resolve(__dirname, "../../sdk");

interface SdkClass {
  file: string;
  token: string;
  args: string[];
  outputs: string[];
  secrets: string[];
}

/** The class a file of sdk/ declares: its token, args, declared outputs and secret outputs. */
function readClass(file: string): SdkClass | undefined {
  const source = ts.createSourceFile(file, readFileSync(path.join(SDK, file), "utf8"), ts.ScriptTarget.ES2022, true);
  const found: SdkClass = { file, token: "", args: [], outputs: [], secrets: [] };
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text.endsWith("Args")) {
      found.args = node.members.flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : []));
    }
    if (ts.isPropertyDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) && ts.isIdentifier(node.name)) {
      found.outputs.push(node.name.text);
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const [first, second] = node.arguments;
      if (node.expression.text === "providerFor" && first && ts.isStringLiteral(first)) found.token = first.text;
      if (node.expression.text === "withSecrets" && second && ts.isArrayLiteralExpression(second)) {
        found.secrets = second.elements.flatMap((e) => (ts.isStringLiteral(e) ? [e.text] : []));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.token ? found : undefined;
}

const classes = readdirSync(SDK).filter((f) => f.endsWith(".ts")).flatMap((f) => readClass(f) ?? []);
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
