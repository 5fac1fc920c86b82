import { describe, expect, it } from "vitest";
import { hashPassword, newId, seal, unseal, verifyPassword } from "../../server/services/crypto";

describe("passwords", () => {
  it("hashes with scrypt and a salt, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horsE", a)).toBe(false);
    expect(await verifyPassword("anything", "not-a-hash")).toBe(false);
  });
});

describe("sealed responses", () => {
  it("round-trips, and refuses the wrong key or a tampered text", () => {
    const key = Buffer.alloc(32, 1);
    const sealed = seal(key, "the response");
    expect(sealed).not.toContain("the response");
    expect(unseal(key, sealed)).toBe("the response");
    expect(() => unseal(Buffer.alloc(32, 2), sealed)).toThrow();
    const tampered = Buffer.from(sealed, "base64");
    tampered.writeUInt8((tampered.at(-1) ?? 0) ^ 1, tampered.length - 1);
    expect(() => unseal(key, tampered.toString("base64"))).toThrow();
  });
});

describe("ids", () => {
  it("carry their kind's prefix and are unique", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId("proj")));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^proj_[0-9a-z]{20}$/);
  });
});
