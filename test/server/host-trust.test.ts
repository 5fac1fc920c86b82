// Lifecycles a Pulumi user can trust, through the real dynamic-provider host against a real lubes-server: a create
// never takes over (and so never later deletes) what it does not manage, adoption is explicit and safe, replacing a
// named resource deletes the old one first, every kind reads by its id alone (import), and every message says what
// to do next.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureOn, lifecycles, type Fixture } from "../support/lifecycles";
import { startHost, serializedProviders, type Host } from "../support/host";
import { freePort } from "../support/postgres";
import { programFolder } from "../support/program-folder";
import { startTestServer, type TestServer } from "../support/server";

type Props = Record<string, unknown>;

/** A kind whose name the user chooses, and how to see that the thing it names is still on the server. */
interface Named {
  type: string;
  inputs: (f: Fixture) => Props;
  alive: (f: Fixture) => Promise<boolean>;
}

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof Error)) throw new Error("expected the call to fail");
  return outcome;
}

const listed = async (f: Fixture, path: string, match: (item: Props) => boolean) =>
  ((await f.api.get(`${path}?limit=100`, { token: f.token })).body.data as Props[]).some(match);

const named: Named[] = [
  {
    type: "lubes:index:EnvVar",
    inputs: (f) => ({ projectId: f.projectId, key: "DATABASE_URL", value: "postgres://kept" }),
    alive: (f) => listed(f, `/projects/${f.projectId}/env`, (v) => v["key"] === "DATABASE_URL" && v["value"] === "postgres://kept"),
  },
  {
    type: "lubes:index:StorageObject",
    inputs: (f) => ({ projectId: f.projectId, bucket: "assets", key: "brand/logo.txt", content: "kept" }),
    alive: async (f) => (await f.api.request("GET", `/projects/${f.projectId}/storage/objects/assets/brand/logo.txt`, { token: f.token })).text === "kept",
  },
  {
    type: "lubes:index:Bucket",
    inputs: (f) => ({ projectId: f.projectId, name: "media" }),
    alive: (f) => listed(f, `/projects/${f.projectId}/storage/buckets`, (b) => b["name"] === "media"),
  },
  {
    type: "lubes:index:Branch",
    inputs: (f) => ({ projectId: f.projectId, name: "keep-me" }),
    alive: (f) => listed(f, `/projects/${f.projectId}/db/branches`, (b) => b["name"] === "keep-me"),
  },
  {
    type: "lubes:index:Function",
    inputs: (f) => ({ projectId: f.projectId, slug: "keep", source: "export default async () => new Response('kept');" }),
    alive: async (f) => (await f.api.get(`/projects/${f.projectId}/functions/keep`, { token: f.token })).status === 200,
  },
  {
    type: "lubes:index:OrganizationMember",
    inputs: (f) => ({ organizationId: f.orgId, email: "kept@example.com" }),
    alive: (f) => listed(f, `/organizations/${f.orgId}/members`, (m) => m["email"] === "kept@example.com"),
  },
  {
    type: "lubes:index:Migration",
    inputs: (f) => ({ projectId: f.projectId, name: "050_kept", sql: "CREATE TABLE kept (id int)", down: "DROP TABLE kept" }),
    alive: async (f) => (await f.api.post(`/projects/${f.projectId}/db/query`, { token: f.token, body: { query: "SELECT to_regclass('kept') AS t" } })).body.rows[0].t !== null,
  },
  {
    type: "lubes:index:Project",
    inputs: (f) => ({ name: "Kept", organizationId: f.orgId, slug: "kept" }),
    alive: (f) => listed(f, "/projects", (p) => p["slug"] === "kept"),
  },
];

describe("lifecycles a user can trust, through the real dynamic-provider host", () => {
  let server: TestServer;
  let host: Host;
  let fixture: Fixture;
  let key: string;
  let folder: string;
  let providers: Record<string, string>;
  const requests: string[] = [];
  const hosts: Host[] = [];
  /** A host of its own, for tests that configure it differently (each is a fresh provider process). */
  const hostWith = async (config: Record<string, string>) => {
    const started = await startHost(folder, config, providers);
    hosts.push(started);
    return started;
  };
  const create = async (on: Host, type: string, inputs: Props) => {
    const checked = await on.check(type, undefined, inputs);
    expect(checked.failures).toEqual([]);
    return { ...(await on.create(type, checked.inputs)), inputs: checked.inputs };
  };

  beforeAll(async () => {
    server = await startTestServer("pglite");
    server.app.server.on("request", (request: { method: string; url: string }) => requests.push(`${request.method} ${request.url}`));
    ({ fixture, key } = await fixtureOn(server));
    folder = programFolder();
    providers = serializedProviders(folder);
    host = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": server.url });
  });
  afterAll(async () => {
    for (const started of hosts) await started.stop();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describe("a name the user chose", () => {
    it.each(named)("$type: a second resource of the same name (a rename without an alias) is refused, naming aliases and adoptExisting, and the first keeps it", async (kind) => {
      const first = await create(host, kind.type, kind.inputs(fixture));
      const second = await host.check(kind.type, undefined, kind.inputs(fixture));
      await expect(host.create(kind.type, second.inputs)).rejects.toThrow(/already exists[\s\S]*aliases: \[\{ name:[\s\S]*adoptExisting: true/);
      expect(await kind.alive(fixture)).toBe(true);
      await host.delete(kind.type, first.id, first.outs);
      expect(await kind.alive(fixture)).toBe(false);
    });

    it.each(named)("$type: adoptExisting takes it over, and the old resource's delete in the same update leaves it to its new owner", async (kind) => {
      const first = await create(host, kind.type, kind.inputs(fixture));
      const adopter = await create(host, kind.type, { ...kind.inputs(fixture), adoptExisting: true });
      expect(adopter.id).toBe(first.id);
      await host.delete(kind.type, first.id, first.outs);
      expect(await kind.alive(fixture)).toBe(true);
      // Its new owner's delete is a real one.
      await host.delete(kind.type, adopter.id, adopter.outs);
      expect(await kind.alive(fixture)).toBe(false);
    });

    it("replacing a branch whose name the user set deletes the old one first; an autonamed one is made anew before", async () => {
      const type = "lubes:index:Branch";
      const preview = await create(host, type, { projectId: fixture.projectId, name: "preview" });
      const moved = await host.check(type, preview.inputs, { projectId: fixture.projectId, name: "preview", parent: "keep-parent" });
      expect(await host.diff(type, preview.id, preview.outs, moved.inputs)).toEqual({ changes: true, replaces: ["parent"], deleteBeforeReplace: true });
      const auto = await host.check(type, undefined, { projectId: fixture.projectId, lubesAutoName: "feature" });
      const autoMoved = await host.check(type, auto.inputs, { projectId: fixture.projectId, parent: "other", lubesAutoName: "feature" });
      expect(await host.diff(type, "x", { ...auto.inputs, branchId: "br_x" }, autoMoved.inputs)).toEqual({ changes: true, replaces: ["parent"], deleteBeforeReplace: false });
      // A replacement that changes the name itself needs no delete first: both can exist at once.
      const renamed = await host.check(type, preview.inputs, { projectId: fixture.projectId, name: "preview-2" });
      expect((await host.diff(type, preview.id, preview.outs, renamed.inputs)).deleteBeforeReplace).toBe(false);
      await host.delete(type, preview.id, preview.outs);
    });

    it("an autonamed resource keeps the name it has when the engine passes old inputs under another logical name (an alias)", async () => {
      const first = await host.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, lubesAutoName: "assets" });
      const aliased = await host.check("lubes:index:Bucket", first.inputs, { projectId: fixture.projectId, lubesAutoName: "uploads" });
      expect(aliased.inputs["name"]).toBe(first.inputs["name"]);
      // Checked again without old inputs, as the engine does before a replacement: a new name.
      const fresh = await host.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, lubesAutoName: "uploads" });
      expect(fresh.inputs["name"]).toMatch(/^uploads-[0-9a-f]{7}$/);
    });
  });

  describe("read by id alone, as import and get do", () => {
    it.each(lifecycles)("$kind.type: the id carries all a read needs, and the read matches the program's inputs", async (life) => {
      const type = life.kind.type;
      const made = await create(host, type, life.inputs(fixture));
      const read = await host.read(type, made.id, {});
      expect(read.id).toBe(made.id);
      expect(await host.diff(type, read.id, read.props, made.inputs)).toMatchObject({ changes: false });
      await host.delete(type, made.id, made.outs);
    });

    it("Branch, Migration, Deployment and ProductionDeployment read by id; a SignedUrl says why it cannot be", async () => {
      const cases: [string, Props][] = [
        ["lubes:index:Branch", { projectId: fixture.projectId, name: "imported/branch" }],
        ["lubes:index:Migration", { projectId: fixture.projectId, name: "060_imported", sql: "CREATE TABLE imported (id int)" }],
        ["lubes:index:Deployment", { projectId: fixture.otherProjectId, ref: "imported" }],
      ];
      for (const [type, inputs] of cases) {
        const made = await create(host, type, inputs);
        const read = await host.read(type, made.id, {});
        expect(read.id, type).toBe(made.id);
        expect((await host.diff(type, read.id, read.props, made.inputs)).changes, type).toBe(false);
        if (type === "lubes:index:Deployment") {
          const pointer = await create(host, "lubes:index:ProductionDeployment", { projectId: fixture.otherProjectId, deploymentId: made.outs["deploymentId"] });
          const production = await host.read("lubes:index:ProductionDeployment", fixture.otherProjectId, {});
          expect(production.props["deploymentId"]).toBe(made.outs["deploymentId"]);
          expect((await host.diff("lubes:index:ProductionDeployment", pointer.id, production.props, pointer.inputs)).changes).toBe(false);
        }
      }
      await expect(host.read("lubes:index:SignedUrl", `${fixture.projectId}/assets/x@2030-01-01T00:00:00Z`, {})).rejects.toThrow(/cannot be imported[\s\S]*Declare a new SignedUrl/);
      await expect(host.read("lubes:index:EnvVar", "API_URL", {})).rejects.toThrow(/expected <project id>\/<KEY>/);
    });
  });

  describe("retries", () => {
    it("a create whose connection is cut while it runs is retried through 'in progress' until its own answer comes: one migration, applied once", async () => {
      let cuts = 0;
      const slow = await startTestServer("pglite", { faults: { fail: 0, drop: 0, cut: (r) => r.method === "POST" && r.url.endsWith("/db/migrations") && ++cuts === 1 } });
      const statuses: number[] = [];
      slow.app.server.on("request", (request: { method: string; url: string }, response: { statusCode: number; on(event: "finish", listener: () => void): void }) => {
        if (request.method === "POST" && request.url.endsWith("/db/migrations")) response.on("finish", () => statuses.push(response.statusCode));
      });
      try {
        const made = await fixtureOn(slow);
        const own = await hostWith({ "lubes:apiKey": made.key, "lubes:apiUrl": slow.url });
        const migration = await create(own, "lubes:index:Migration", { projectId: made.fixture.projectId, name: "070_slow", sql: "CREATE TABLE slow AS SELECT 1 AS id FROM pg_sleep(4)" });
        expect(migration.outs["status"]).toBe("applied");
        // The retry (after at most a quarter second) met the first attempt still running (for 4 s).
        expect(statuses).toContain(409);
        const records = await slow.api.get(`/projects/${made.fixture.projectId}/db/migrations`, { token: made.fixture.token });
        expect(records.body.data.map((m: Props) => m["name"])).toEqual(["070_slow"]);
      } finally {
        await slow.close();
      }
    });
  });

  describe("uploads retried after a failure", () => {
    const objectKey = "brand/mark.svg";
    let faulty: TestServer;
    let own: Host;
    let made: { fixture: Fixture; key: string };
    let failNext = false;
    let dropNext = false;
    const isUpload = (r: { method: string; url: string }) => r.method === "PUT" && r.url.includes("/storage/objects/");
    const upload = (name: string) => ({ projectId: made.fixture.projectId, bucket: "assets", key: name, content: "<svg/>" });

    beforeAll(async () => {
      const strike = (armed: () => boolean, disarm: () => void) => (r: { method: string; url: string }) => isUpload(r) && armed() && (disarm(), true);
      faulty = await startTestServer("pglite", {
        faults: { fail: strike(() => failNext, () => (failNext = false)), drop: strike(() => dropNext, () => (dropNext = false)) },
      });
      made = await fixtureOn(faulty);
      own = await hostWith({ "lubes:apiKey": made.key, "lubes:apiUrl": faulty.url });
    });
    afterAll(() => faulty?.close());

    it("a create whose first upload failed still refuses an identical object it did not write (a rename without an alias)", async () => {
      const first = await create(own, "lubes:index:StorageObject", upload(objectKey));
      failNext = true;
      const second = await own.check("lubes:index:StorageObject", undefined, upload(objectKey));
      await expect(own.create("lubes:index:StorageObject", second.inputs)).rejects.toThrow(/already exists[\s\S]*aliases/);
      expect(failNext).toBe(false); // the 503 happened, and the retry met the object
      await own.delete("lubes:index:StorageObject", first.id, first.outs);
    });

    it("a create whose answer was lost knows its own upload on the retry: one object, no refusal", async () => {
      dropNext = true;
      const made2 = await create(own, "lubes:index:StorageObject", upload("brand/new.svg"));
      expect(dropNext).toBe(false);
      expect(made2.outs["size"]).toBe(6);
      const listed = await faulty.api.get(`/projects/${made.fixture.projectId}/storage/objects?bucket=assets&prefix=brand/`, { token: made.fixture.token });
      expect(listed.body.data.map((o: Props) => o["name"])).toEqual(["brand/new.svg"]);
    });
  });

  describe("messages that lead somewhere", () => {
    it("a wrong key fails the first check (so preview fails), naming where the key came from and how to set it; diff calls nothing", async () => {
      const wrong = await hostWith({ "lubes:apiKey": "lubes_sk_wrong", "lubes:apiUrl": server.url });
      const error = await failure(wrong.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: "never" }));
      expect(error.message).toMatch(/not a valid API key[\s\S]*GET \/auth\/me[\s\S]*from lubes:apiKey was refused[\s\S]*pulumi config set --secret lubes:apiKey <key>/);
      const before = requests.length;
      await wrong.diff("lubes:index:Bucket", "proj/never", { projectId: fixture.projectId, name: "never", public: false }, { projectId: fixture.projectId, name: "never", public: true });
      expect(requests.slice(before)).toEqual([]);
    });

    it("a good key is checked once per provider process, then checks call nothing", async () => {
      const fresh = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": server.url });
      const before = requests.length;
      for (const name of ["one", "two", "three"]) await fresh.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: `checked-${name}` });
      await fresh.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: "CHECKED", value: "x" });
      expect(requests.slice(before)).toEqual(["GET /v1/auth/me"]);
    });

    it("a URL without /v1 is named as the likely cause", async () => {
      const unversioned = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": server.url.replace(/\/v1$/, "") });
      await expect(unversioned.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: "never" })).rejects.toThrow(/probably lacks its version: set it to http:\/\/127\.0\.0\.1:\d+\/v1/);
    });

    it("a server that is not running is named by its URL and the setting that chose it", async () => {
      const down = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": `http://127.0.0.1:${await freePort()}/v1` });
      await expect(down.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: "never" })).rejects.toThrow(
        /Could not reach the Lubes API at http:\/\/127\.0\.0\.1:\d+\/v1 \(set by lubes:apiUrl\) \(ECONNREFUSED\)[\s\S]*pulumi config set lubes:apiUrl/,
      );
    }, 60_000);

    it("plain http to a host that is not this machine is refused unless lubes:allowInsecureHttp is set", async () => {
      // 0.0.0.0 reaches this machine, but is not a loopback name: it stands for a host on the network.
      const url = server.url.replace("127.0.0.1", "0.0.0.0");
      const refused = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": url });
      await expect(refused.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: "never" })).rejects.toThrow(/plain http would send the API key in clear text to 0\.0\.0\.0[\s\S]*lubes:allowInsecureHttp true/);
      const allowed = await hostWith({ "lubes:apiKey": key, "lubes:apiUrl": url, "lubes:allowInsecureHttp": "true" });
      const checked = await allowed.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, name: "over-http" });
      expect(checked.failures).toEqual([]);
    });

    it("reports each unknown input key as its own failure", async () => {
      const checked = await host.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: "K", value: "v", colour: "red", slug: "x" });
      expect(checked.failures.map((f) => f.property)).toEqual(["colour", "slug"]);
      expect(checked.failures[0]?.reason).toMatch(/colour is not a property of this resource \(known: projectId, key, value/);
    });

    it("shows control characters from the server escaped, never raw on the terminal", async () => {
      const source = "throw new Error('\\u001b[2J\\u001b[31mboom\\u0007');\nexport default async () => new Response('x');";
      const checked = await host.check("lubes:index:Function", undefined, { projectId: fixture.projectId, slug: "ansi", source });
      const error = await failure(host.create("lubes:index:Function", checked.inputs));
      expect(error.message).toMatch(/was not deployed: .*\\x1b\[31mboom\\x07/);
      // eslint-disable-next-line no-control-regex -- what must not reach the terminal
      expect(error.message).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    });
  });
});
