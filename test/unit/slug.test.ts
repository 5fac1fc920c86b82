import { describe, expect, it } from "vitest";
import { slugify, uniqueSlug } from "../../server/services/slug";

describe("slugify", () => {
  it.each([
    ["My Project", "my-project"],
    ["  Hello,   World!  ", "hello-world"],
    ["Café Crème", "cafe-creme"],
    ["日本語", "fallback"],
    ["---", "fallback"],
    ["a".repeat(100), "a".repeat(48)],
    [`${"word ".repeat(9)}end`, "word-word-word-word-word-word-word-word-word-end"],
  ])("%j → %j", (name, slug) => {
    expect(slugify(name, "fallback")).toBe(slug);
  });

  it("never ends a truncated slug with a hyphen", () => {
    expect(slugify(`${"a".repeat(47)} b`, "x")).toBe("a".repeat(47));
  });
});

describe("uniqueSlug", () => {
  it("appends the first free number and stays within 48 characters", () => {
    expect(uniqueSlug("web", new Set())).toBe("web");
    expect(uniqueSlug("web", new Set(["web", "web-2"]))).toBe("web-3");
    const long = "a".repeat(48);
    expect(uniqueSlug(long, new Set([long]))).toBe(`${"a".repeat(46)}-2`);
  });
});
