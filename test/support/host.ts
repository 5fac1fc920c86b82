// Drives the real dynamic-provider host of @pulumi/pulumi as the engine does: started with node from the program's
// folder (module requires in `__provider` resolve from there), it prints its port, serves the ResourceProvider gRPC
// service, and is configured first. A harness for tests, not a replacement for the Pulumi CLI.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as services from "@pulumi/pulumi/proto/provider_grpc_pb";

type Props = Record<string, unknown>;
const ROOT = path.resolve(__dirname, "../..");
const PROVIDER_KEY = "__provider";

/** The `__provider` text of every type, as `pulumi up` would store it. */
export function serializedProviders(folder: string): Record<string, string> {
  const output = execFileSync(process.execPath, [path.join(__dirname, "serialize-providers.cjs")], { cwd: folder });
  return JSON.parse(output.toString()) as Record<string, string>;
}

export interface Host {
  check(type: string, olds: Props | undefined, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(type: string, id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(type: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  read(type: string, id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(type: string, id: string, olds: Props, news: Props): Promise<Props>;
  delete(type: string, id: string, props: Props): Promise<void>;
  /** What the process wrote after its port (stdout, then stderr), line by line: the CLI shows these as diagnostics. */
  output(): string[];
  stop(): Promise<void>;
}

export interface Plugin extends Host {
  /** Outputs of the last create, read or update that came back as secrets. */
  lastSecrets(): string[];
  getSchema(): Promise<string>;
  checkConfig(news: Props): Promise<{ failures: { property: string; reason: string }[] }>;
  diffConfig(olds: Props, news: Props): Promise<{ changes: boolean; diffs: string[] }>;
  /** Read as `pulumi import` does: the id alone; the inputs a program would declare come back too. */
  importById(type: string, id: string): Promise<{ id: string; props: Props; inputs: Props }>;
}

/** The folder of the @pulumi/pulumi a program (or a plugin's folder) resolves. */
const pulumiOf = (folder: string): string => path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [folder] }));

/** Starts a Node provider process and waits for the port it prints on its first line. */
async function spawnProvider(entry: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; io: ProcessOutput }> {
  // The engine address is never dialled in these calls; credentials come only from Configure.
  const child: ChildProcess = spawn(process.execPath, [entry, ...args], {
    cwd,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: "lubes-e2e", LUBES_API_KEY: "", LUBES_API_URL: "", LUBES_ALLOW_INSECURE_HTTP: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", () => {
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) resolve(Number(line.trim()));
    });
    child.once("exit", (code) => reject(new Error(`${path.basename(path.dirname(entry))} exited (${code}): ${stderr}`)));
  });
  const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");
  return { child, port, io: { output: () => [...lines(stdout).slice(1), ...lines(stderr)], closed } };
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const isSecret = (value: unknown): value is { value: unknown } => typeof value === "object" && value !== null && SIG_KEY in value;

interface Face {
  urn: (type: string) => string;
  /** Adds what the face needs to the properties sent (the dynamic host's `__provider`). */
  send: (type: string, props: Props) => Props;
}

/** A provider process's output after its port, and when its pipes are drained. */
interface ProcessOutput {
  output: () => string[];
  closed: Promise<void>;
}

function connect(child: ChildProcess, port: number, io: ProcessOutput, face: Face) {
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  type Method = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete" | "getSchema" | "checkConfig" | "diffConfig";
  const call = <Req, Res>(method: Method, request: Req) =>
    new Promise<Res>((resolve, reject) => {
      const rpc = client[method].bind(client) as unknown as (req: Req, cb: (error: grpc.ServiceError | null, res: Res) => void) => unknown;
      rpc(request, (error, response) => (error ? reject(new Error(error.details || error.message)) : resolve(response)));
    });
  const struct = (props: Props) => Struct.fromJavaScript(props as Record<string, never>);
  let secrets: string[] = [];
  /** What came back, without `__provider` and with secrets unwrapped (noting which were). */
  const plain = (props: Props): Props => {
    const rest: Props = {};
    const found: string[] = [];
    for (const [key, value] of Object.entries(props)) {
      if (key === PROVIDER_KEY) continue;
      if (isSecret(value)) found.push(key);
      rest[key] = isSecret(value) ? value.value : value;
    }
    secrets = found;
    return rest;
  };
  const { urn, send } = face;

  const host: Host & { call: typeof call; struct: typeof struct; plain: typeof plain; lastSecrets: () => string[] } = {
    call,
    struct,
    plain,
    lastSecrets: () => secrets,
    output: io.output,
    async check(type, olds, news) {
      const request = new provproto.CheckRequest();
      request.setUrn(urn(type));
      request.setOlds(struct(olds ? send(type, olds) : {}));
      request.setNews(struct(send(type, news)));
      const response = await call<provproto.CheckRequest, provproto.CheckResponse>("check", request);
      return {
        inputs: plain(response.getInputs()?.toJavaScript() ?? {}),
        failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(type, id, olds, news) {
      const request = new provproto.DiffRequest();
      request.setId(id);
      request.setUrn(urn(type));
      request.setOlds(struct(send(type, olds)));
      request.setNews(struct(send(type, news)));
      const response = await call<provproto.DiffRequest, provproto.DiffResponse>("diff", request);
      return { changes: response.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME, replaces: response.getReplacesList(), deleteBeforeReplace: response.getDeletebeforereplace() };
    },
    async create(type, inputs) {
      const request = new provproto.CreateRequest();
      request.setUrn(urn(type));
      request.setProperties(struct(send(type, inputs)));
      const response = await call<provproto.CreateRequest, provproto.CreateResponse>("create", request);
      return { id: response.getId(), outs: plain(response.getProperties()?.toJavaScript() ?? {}) };
    },
    async read(type, id, props) {
      const request = new provproto.ReadRequest();
      request.setId(id);
      request.setUrn(urn(type));
      request.setProperties(struct(send(type, props)));
      const response = await call<provproto.ReadRequest, provproto.ReadResponse>("read", request);
      return { id: response.getId(), props: plain(response.getProperties()?.toJavaScript() ?? {}) };
    },
    async update(type, id, olds, news) {
      const request = new provproto.UpdateRequest();
      request.setId(id);
      request.setUrn(urn(type));
      request.setOlds(struct(send(type, olds)));
      request.setNews(struct(send(type, news)));
      const response = await call<provproto.UpdateRequest, provproto.UpdateResponse>("update", request);
      return plain(response.getProperties()?.toJavaScript() ?? {});
    },
    async delete(type, id, props) {
      const request = new provproto.DeleteRequest();
      request.setId(id);
      request.setUrn(urn(type));
      request.setProperties(struct(send(type, props)));
      await call("delete", request);
    },
    async stop() {
      client.close();
      child.kill("SIGTERM");
      // "close", not "exit": the pipes are drained, so output() holds every line.
      await io.closed;
    },
  };
  return host;
}

/** `env`: the environment the engine passes on (a pipeline's `LUBES_API_KEY`); none of the caller's `LUBES_*` otherwise. */
export async function startHost(folder: string, config: Record<string, string>, providers: Record<string, string>, env: Record<string, string> = {}): Promise<Host> {
  // The program's own @pulumi/pulumi, as the engine runs the host of the program's language.
  const entry = path.join(pulumiOf(folder), "cmd", "dynamic-provider", "index.js");
  const { child, port, io } = await spawnProvider(entry, ["127.0.0.1:1"], folder, env);
  // Props from a program already carry their own `__provider`; otherwise the type's serialized shim is added, when
  // the test gave one. Old state the plugin wrote has none, and goes as it is, as the engine sends it.
  const send = (type: string, props: Props): Props => {
    const text = providers[type];
    return typeof props[PROVIDER_KEY] === "string" || !text ? props : { ...props, [PROVIDER_KEY]: text };
  };
  const urn = (type: string) => (type.startsWith("urn:") ? type : `urn:pulumi:test::lubes-e2e::pulumi-nodejs:dynamic/lubes:${type.split(":")[2] ?? ""}::resource`);
  const host = connect(child, port, io, { urn, send });
  const configure = new provproto.ConfigureRequest();
  configure.setArgs(host.struct(config));
  await host.call("configure", configure);
  return host;
}

/**
 * Starts the plugin exactly as the engine does for PulumiPlugin.yaml (`node <@pulumi/pulumi>/cmd/run-plugin <folder>
 * <engine address>`) on `folder` (the repository, or an installed package), and configures it with `config`: the
 * provider's properties (`{ apiKey, apiUrl }`) as args, or with `variables` (`lubes:config:apiKey`) as older engines do.
 */
export async function startPlugin(config: Props, options: { folder?: string; cwd?: string; variables?: Record<string, string>; name?: string; env?: Record<string, string> } = {}): Promise<Plugin> {
  const folder = options.folder ?? ROOT;
  // The engine runs a plugin in the project's folder (its working directory), so relative paths are the program's.
  const { child, port, io } = await spawnProvider(path.join(pulumiOf(folder), "cmd", "run-plugin", "index.js"), [folder, "127.0.0.1:1"], options.cwd ?? folder, options.env);
  const urn = (type: string) => (type.startsWith("urn:") ? type : `urn:pulumi:test::lubes-e2e::${type}::${options.name ?? "resource"}`);
  const host = connect(child, port, io, { urn, send: (_type, props) => props });
  const configure = new provproto.ConfigureRequest();
  configure.setArgs(host.struct(config));
  for (const [key, value] of Object.entries(options.variables ?? {})) configure.getVariablesMap().set(key, value);
  await host.call("configure", configure);
  return {
    ...host,
    async getSchema() {
      const response = await host.call<provproto.GetSchemaRequest, provproto.GetSchemaResponse>("getSchema", new provproto.GetSchemaRequest());
      return response.getSchema();
    },
    async checkConfig(news) {
      const request = new provproto.CheckRequest();
      request.setUrn("urn:pulumi:test::lubes-e2e::pulumi:providers:lubes::default");
      request.setOlds(host.struct({}));
      request.setNews(host.struct(news));
      const response = await host.call<provproto.CheckRequest, provproto.CheckResponse>("checkConfig", request);
      return { failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
    },
    async diffConfig(olds, news) {
      const request = new provproto.DiffRequest();
      request.setUrn("urn:pulumi:test::lubes-e2e::pulumi:providers:lubes::default");
      request.setOlds(host.struct(olds));
      request.setNews(host.struct(news));
      const response = await host.call<provproto.DiffRequest, provproto.DiffResponse>("diffConfig", request);
      return { changes: response.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME, diffs: response.getDiffsList() };
    },
    async importById(type, id) {
      const request = new provproto.ReadRequest();
      request.setId(id);
      request.setUrn(urn(type));
      request.setProperties(host.struct({}));
      const response = await host.call<provproto.ReadRequest, provproto.ReadResponse>("read", request);
      const inputs = host.plain(response.getInputs()?.toJavaScript() ?? {});
      return { id: response.getId(), props: host.plain(response.getProperties()?.toJavaScript() ?? {}), inputs };
    },
  };
}
