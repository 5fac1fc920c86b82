// The program's Pulumi.yaml and Pulumi.<stack>.yaml, as the CLI reads them: the project's name and the stack's config
// (project keys without a namespace get `<project>:`). Encrypted (`secure:`) values need the CLI's secrets provider,
// which the harness does not have: secrets are passed to it as secret config instead.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { load } from "js-yaml";

export interface ProgramProject {
  name: string;
  config: Record<string, string>;
}

type Yaml = Record<string, unknown>;

const read = (file: string): Yaml => (load(readFileSync(file, "utf8")) ?? {}) as Yaml;

function configValue(key: string, value: unknown, file: string): string | undefined {
  if (value !== null && typeof value === "object") {
    const entry = value as Yaml;
    if ("secure" in entry) throw new Error(`${file}: ${key} is encrypted; the engine harness takes secrets as secret config (options.secretConfig)`);
    value = entry["value"] ?? entry["default"];
  }
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function configOf(section: unknown, project: string, file: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries((section ?? {}) as Yaml)) {
    const text = configValue(key, value, file);
    if (text !== undefined) config[key.includes(":") ? key : `${project}:${key}`] = text;
  }
  return config;
}

export function loadProject(dir: string, stack: string): ProgramProject {
  const projectFile = path.join(dir, "Pulumi.yaml");
  if (!existsSync(projectFile)) throw new Error(`${dir} has no Pulumi.yaml`);
  const project = read(projectFile);
  const name = project["name"];
  if (typeof name !== "string" || name === "") throw new Error(`${projectFile}: name is required`);
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  const stackConfig = existsSync(stackFile) ? configOf(read(stackFile)["config"], name, stackFile) : {};
  return { name, config: { ...configOf(project["config"], name, projectFile), ...stackConfig } };
}
