import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimMatches, claimValue, globMatches, parseSubjectTemplate, renderSubject } from "../../lambda/identity/claims.js";

/** The glob as a regular expression: the reference globMatches must agree with. */
function reference(pattern: string, value: string): boolean {
  const source = Array.from(pattern, (c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${source}$`, "su").test(value);
}

describe("a claim pattern is a glob: * any run of characters, ? exactly one, the rest literal, the whole value", () => {
  it.each([
    ["acme/*", "acme/widgets", true],
    ["acme/*", "acme/", true],
    ["acme/*", "evil/acme/x", false],
    ["refs/heads/?ain", "refs/heads/main", true],
    ["refs/heads/?ain", "refs/heads/ain", false],
    ["*@example.com", "dev@example.com", true],
    ["*@example.com", "dev@example.com.evil", false],
    ["a.b", "axb", false],
    ["*", "", true],
    ["?", "é", true],
    ["?", "😀", true],
  ])("%s against %s: %s", (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it("agrees with the regular-expression reading on any pattern and value", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "*", "?", ".", "😀"), maxLength: 10 });
    fc.assert(fc.property(text, text, (pattern, value) => globMatches(pattern, value) === reference(pattern, value)), { numRuns: 3000 });
  });

  it("costs at most pattern × value steps: a hostile pattern against a long value returns at once", () => {
    const started = performance.now();
    expect(globMatches(`${"*a".repeat(40)}b`, "a".repeat(4000))).toBe(false);
    // Generous: the backtracking a naive matcher would do takes longer than the universe.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("a claim name is a top-level claim or, starting with /, a JSON pointer", () => {
  const claims = {
    sub: "s",
    "kubernetes.io": { namespace: "ci", serviceaccount: { name: "runner" } },
    "a/b": { "c~d": "escaped" },
    list: ["x", "y"],
    "/": "slash",
  };

  it.each([
    ["sub", "s"],
    ["/kubernetes.io/namespace", "ci"],
    ["/kubernetes.io/serviceaccount/name", "runner"],
    ["/a~1b/c~0d", "escaped"],
    ["/list/1", "y"],
    ["/list/01", undefined],
    ["/list/-", undefined],
    ["/missing/deeper", undefined],
    ["kubernetes.io", claims["kubernetes.io"]],
    ["toString", undefined],
    ["/constructor", undefined],
  ])("%s selects %j", (name, value) => {
    expect(claimValue(claims, name)).toEqual(value);
  });

  it("an array claim matches when any element matches; a missing or non-string claim never does", () => {
    const token = { groups: ["eng", "ml-research", 7], count: 3, flag: true, nested: { a: "b" } };
    expect(claimMatches(token, "groups", "ml-*")).toBe(true);
    expect(claimMatches(token, "groups", "ops")).toBe(false);
    expect(claimMatches(token, "groups", "7")).toBe(false);
    expect(claimMatches(token, "count", "3")).toBe(false);
    expect(claimMatches(token, "flag", "*")).toBe(false);
    expect(claimMatches(token, "nested", "*")).toBe(false);
    expect(claimMatches(token, "absent", "*")).toBe(false);
    expect(claimMatches(token, "/nested/a", "b")).toBe(true);
  });
});

describe("the subject template renders string claims into 1-128 characters of 0x21-0x7E", () => {
  it("parses literal text and {claim} or {/pointer} placeholders, and refuses malformed templates", () => {
    expect(parseSubjectTemplate("repo:{repository}")).toEqual([{ text: "repo:" }, { claim: "repository" }]);
    expect(parseSubjectTemplate("{/kubernetes.io/namespace}/{sub}")).toEqual([{ claim: "/kubernetes.io/namespace" }, { text: "/" }, { claim: "sub" }]);
    for (const bad of ["", "{}", "{sub", "sub}", "a {sub}", "{a{b}}", "x}{sub}", "tab\t{sub}"]) expect(parseSubjectTemplate(bad), bad).toBeUndefined();
  });

  it("renders, or gives nothing when a claim is missing or not a string, or the result is empty, too long or not visible ASCII", () => {
    const parts = (template: string) => parseSubjectTemplate(template) ?? [];
    expect(renderSubject(parts("repo:{repository}"), { repository: "acme/app" })).toBe("repo:acme/app");
    expect(renderSubject(parts("{email}"), {})).toBeUndefined();
    expect(renderSubject(parts("{email}"), { email: ["a@b"] })).toBeUndefined();
    expect(renderSubject(parts("{email}"), { email: "" })).toBeUndefined();
    expect(renderSubject(parts("{email}"), { email: "é@example.com" })).toBeUndefined();
    expect(renderSubject(parts("{email}"), { email: "a b" })).toBeUndefined();
    expect(renderSubject(parts("{sub}"), { sub: "x".repeat(128) })).toBe("x".repeat(128));
    expect(renderSubject(parts("{sub}"), { sub: "x".repeat(129) })).toBeUndefined();
  });
});
