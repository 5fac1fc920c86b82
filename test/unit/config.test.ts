import { describe, expect, it } from "vitest";
import { DEFAULT_RATE_LIMITS, parseFaults, parseRateLimits, readEnvironment } from "../../server/config";

describe("LUBES_RATE_LIMITS", () => {
  it("defaults to the seed's plan limits", () => {
    expect(parseRateLimits(undefined)).toEqual({ free: 100, pro: 1000, team: 10000 });
  });

  it("overrides only the plans it names", () => {
    expect(parseRateLimits("free=600, team=20000")).toEqual({ ...DEFAULT_RATE_LIMITS, free: 600, team: 20000 });
  });

  it.each(["free", "gold=5", "free=-1", "free=0", "free=1.5", "pro=lots"])("refuses %j with a message naming it", (text) => {
    expect(() => parseRateLimits(text)).toThrow(/LUBES_RATE_LIMITS/);
  });
});

describe("readEnvironment", () => {
  it("reads the documented variables with their defaults", () => {
    const { options, listen } = readEnvironment({});
    expect(listen).toEqual({ port: 8787, host: "127.0.0.1" });
    expect(options.dataDir).toMatch(/\.lubes$/);
    expect(options.databaseUrl).toBeUndefined();
    expect(options.dev).toBe(false);
    expect(options.publicUrl).toBeUndefined();
    expect(readEnvironment({ LUBES_PUBLIC_URL: "https://lubes.example.com/v1/" }).options.publicUrl).toBe("https://lubes.example.com/v1");
  });

  it("refuses a database URL that is not postgres:// and a bad port", () => {
    expect(() => readEnvironment({ LUBES_DATABASE_URL: "mysql://x" })).toThrow(/postgres/);
    expect(() => readEnvironment({ PORT: "http" })).toThrow(/PORT/);
  });

  it("takes an SMTP URL with a default sender, and refuses anything but smtp:// or smtps://", () => {
    expect(readEnvironment({ LUBES_SMTP_URL: "smtps://u:p@smtp.example.com" }).options.smtp).toEqual({ url: "smtps://u:p@smtp.example.com", from: "Lubes <no-reply@lubes.local>" });
    expect(readEnvironment({ LUBES_SMTP_URL: "smtp://mail:25", LUBES_MAIL_FROM: "Ops <ops@corp.example>" }).options.smtp?.from).toBe("Ops <ops@corp.example>");
    expect(() => readEnvironment({ LUBES_SMTP_URL: "https://mail" })).toThrow(/smtp:\/\//);
  });
});

describe("LUBES_FAULTS", () => {
  it("reads every fault, a delay fixed or random, and `off`", () => {
    expect(parseFaults("off")).toEqual({});
    expect(parseFaults("fail=0.1, bad_gateway=0.2,rate_limit=0.3,reset=0.4,cut=0.5,drop=0.02,delay=20-200")).toEqual({
      fail: 0.1, badGateway: 0.2, rateLimit: 0.3, reset: 0.4, cut: 0.5, drop: 0.02, delay: { minMs: 20, maxMs: 200 },
    });
    expect(parseFaults("delay=150")).toEqual({ delay: { minMs: 150, maxMs: 150 } });
  });

  it("limits a fault to a route: a part of the path, and a method", () => {
    const faults = parseFaults("fail=1@POST /v1/projects,drop=1@/db/migrations");
    const fail = faults.fail as (request: { method: string; url: string }) => boolean;
    const drop = faults.drop as (request: { method: string; url: string }) => boolean;
    expect(fail({ method: "POST", url: "/v1/projects?x=1" })).toBe(true);
    expect(fail({ method: "GET", url: "/v1/projects" })).toBe(false);
    expect(drop({ method: "POST", url: "/v1/projects/proj_1/db/migrations" })).toBe(true);
    expect(drop({ method: "POST", url: "/v1/projects/proj_1/db/query" })).toBe(false);
  });

  it.each(["fail=2", "fail", "nope=0.1", "delay=200-100", "delay=-5", "delay=fast", "drop=0.1@"])("refuses %j with a message naming it", (text) => {
    expect(() => parseFaults(text)).toThrow(new RegExp(`LUBES_FAULTS: "${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));
  });
});
