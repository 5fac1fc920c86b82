import { describe, expect, it } from "vitest";
import { DEFAULT_RATE_LIMITS, parseRateLimits, readEnvironment } from "../../server/config";

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
