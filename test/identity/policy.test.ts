import { describe, expect, it } from "vitest";
import { checkJwks, isPolicyName, isUsablePolicy, parseIdentityPolicy } from "../../lambda/identity/policy.js";

const RSA_PUBLIC = { kty: "RSA", kid: "k1", alg: "RS256", n: "0vx7agoebGcQSuu", e: "AQAB" };
const valid = {
  issuer: "https://token.actions.githubusercontent.com",
  audiences: ["mantle-vend"],
  claims: { repository: "acme/*", "/kubernetes.io/namespace": "ci" },
  subject: "repo:{repository}",
  regions: ["us-east-1"],
  maxTtlSeconds: 900,
  createdAt: "2026-11-25T12:00:00.000Z",
};

const parse = (record: Record<string, unknown>, name = "ci") => parseIdentityPolicy(name, JSON.stringify(record));

function parsed(record: Record<string, unknown>): NonNullable<ReturnType<typeof parse>> {
  const policy = parse(record);
  if (policy === undefined) throw new Error("the policy should parse");
  return policy;
}

describe("a stored identity policy is checked field by field; any invalid field makes it admit nothing", () => {
  it("parses a valid policy: its own fields, its grant through parseGrant, the subject in pieces", () => {
    const policy = parse(valid);
    expect(policy).toMatchObject({
      name: "ci",
      record: { issuer: valid.issuer, audiences: ["mantle-vend"], claims: valid.claims, subject: "repo:{repository}" },
      grant: { regions: ["us-east-1"], maxTtlSeconds: 900 },
      subject: [{ text: "repo:" }, { claim: "repository" }],
    });
  });

  it("defaults the subject to {sub}", () => {
    const { subject: _subject, ...rest } = valid;
    expect(parse(rest)?.subject).toEqual([{ claim: "sub" }]);
  });

  it.each([
    ["no issuer", { issuer: undefined }],
    ["no audiences", { audiences: [] }],
    ["an empty audience", { audiences: [""] }],
    ["a claim pattern that is not a string", { claims: { repository: 1 } }],
    ["an empty claim pattern", { claims: { repository: "" } }],
    ["claims that are not an object", { claims: ["repository"] }],
    ["a malformed subject template", { subject: "repo:{repository" }],
    ["a subject template with a space", { subject: "repo {repository}" }],
    ["a jwks with private key material", { jwks: { keys: [{ ...RSA_PUBLIC, d: "secret" }] } }],
    ["a symmetric jwks", { jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }],
    ["an empty jwks", { jwks: { keys: [] } }],
    ["a non-integer lifetime", { maxTokenLifetimeSeconds: 1.5 }],
    ["an expiry that is not a time", { expiresAt: "soon" }],
    ["disabled that is not a boolean", { disabled: "yes" }],
    ["an invalid grant field", { regions: ["mars"] }],
    ["a missing grant field", { maxTtlSeconds: undefined }],
    ["no createdAt", { createdAt: undefined }],
  ])("refuses %s", (_why, change) => {
    expect(parse({ ...valid, ...change })).toBeUndefined();
  });

  it("refuses a bad name and text that is not a JSON object", () => {
    expect(parse(valid, "CI")).toBeUndefined();
    expect(parseIdentityPolicy("ci", "not json")).toBeUndefined();
    expect(parseIdentityPolicy("ci", "[]")).toBeUndefined();
  });

  it("a claim named __proto__ stays a claim to match (it cannot silently vanish and widen the policy)", () => {
    const policy = parseIdentityPolicy("ci", `{"issuer":"https://i.example","audiences":["a"],"claims":{"__proto__":"x"},"regions":["*"],"maxTtlSeconds":60,"createdAt":"2026-01-01T00:00:00Z"}`);
    expect(Object.entries(policy?.record.claims ?? {})).toEqual([["__proto__", "x"]]);
  });

  it("drops unknown fields", () => {
    expect(parse({ ...valid, extra: "x" })?.record).not.toHaveProperty("extra");
  });
});

describe("policy names, usability and inline keys", () => {
  it("names are [a-z0-9][a-z0-9-]{0,31}", () => {
    for (const name of ["ci", "a", "github-actions", "0", "a".repeat(32)]) expect(isPolicyName(name), name).toBe(true);
    for (const name of ["", "-ci", "CI", "c_i", "a".repeat(33), "ci/x", "ci "]) expect(isPolicyName(name), name).toBe(false);
  });

  it("a disabled or expired policy is not usable", () => {
    const now = Date.parse("2026-11-25T12:00:00Z");
    expect(isUsablePolicy(parsed(valid), now)).toBe(true);
    expect(isUsablePolicy(parsed({ ...valid, disabled: true }), now)).toBe(false);
    expect(isUsablePolicy(parsed({ ...valid, expiresAt: "2026-11-25T11:59:59Z" }), now)).toBe(false);
    expect(isUsablePolicy(parsed({ ...valid, expiresAt: "2026-11-25T12:00:01Z" }), now)).toBe(true);
  });

  it("inline keys must be public RSA, EC or OKP keys with their members", () => {
    expect(checkJwks({ keys: [RSA_PUBLIC] })).toEqual({ jwks: { keys: [RSA_PUBLIC] } });
    expect(checkJwks({ keys: [{ kty: "EC", crv: "P-256", x: "x" }] })).toEqual({ problem: "has a EC key without crv, x, y" });
    expect(checkJwks({ keys: [{ kty: "OKP", crv: "Ed25519", x: "x", d: "d" }] })).toMatchObject({ problem: expect.stringContaining("private key material") });
    expect(checkJwks([RSA_PUBLIC])).toMatchObject({ problem: expect.stringContaining("JWK Set") });
  });
});
