import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config.js";
import { Grants, RateLimiter, type SigningSubject } from "../../lambda/grants/index.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/mantle-emulator.js";
import { TokenIssuer, type CredentialSource, type SigningCredentials } from "../../lambda/tokens/index.js";
import { keyAs } from "../support/principals.js";

const config = loadConfig({ MANTLE_VEND_REGIONS: "us-east-1,us-west-2", MANTLE_VEND_MANTLE_ENDPOINT: "http://127.0.0.1:9/{region}" });
const principal = keyAs("team", { regions: ["us-west-2"], maxTtlSeconds: 1800 });

function recording(credentials: SigningCredentials): { source: CredentialSource; asked: Array<{ subject: SigningSubject; ttlSeconds: number }> } {
  const asked: Array<{ subject: SigningSubject; ttlSeconds: number }> = [];
  return {
    asked,
    source: async (subject, ttlSeconds) => {
      asked.push({ subject, ttlSeconds });
      return credentials;
    },
  };
}

const issuer = (source: CredentialSource): TokenIssuer => {
  const grants = new Grants(config, new RateLimiter(Date.now));
  return new TokenIssuer(config, grants, source);
};

describe("a token is issued for the grant's region and TTL, signed as the principal's session", () => {
  it("asks the credential source for the principal's session and the clamped TTL, and answers what the token says", async () => {
    const { source, asked } = recording(EMULATOR_CREDENTIALS);
    const issued = await issuer(source).issue(principal, () => ({ ttlSeconds: 3600 }));
    expect(issued.ttlSeconds).toBe(1800);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.ttlSeconds).toBe(1800);
    expect(asked[0]?.subject).toMatchObject({ sessionName: principal.session.sessionName, sourceIdentity: principal.session.sourceIdentity, tags: { "mantle-vend-principal": "key:0123456789abcdef" } });
    expect(JSON.parse(asked[0]?.subject.policy ?? "{}")).toMatchObject({ Statement: [{ Condition: { StringEquals: { "aws:RequestedRegion": ["us-west-2"] } } }] });
    expect(issued.body).toMatchObject({ tokenType: "bearer", region: "us-west-2", baseUrl: "http://127.0.0.1:9/us-west-2/v1", expiresInSeconds: 1800 });
    expect(Date.parse(issued.body.expiresAt) - Date.parse(issued.body.issuedAt)).toBe(1800_000);
    const url = Buffer.from(issued.body.token.slice("bedrock-api-key-".length), "base64").toString("utf8");
    expect(new URLSearchParams(url.slice(url.indexOf("?") + 1)).get("X-Amz-Expires")).toBe("1800");
  });

  it("ends the token when the signing credentials end, and says so", async () => {
    const expiration = new Date(Date.now() + 600_000);
    const { source } = recording({ ...EMULATOR_CREDENTIALS, expiration });
    const { body } = await issuer(source).issue(principal, () => ({}));
    expect(body.expiresAt).toBe(expiration.toISOString());
    expect(body.expiresInSeconds).toBeLessThanOrEqual(600);
  });

  it("signs nothing for a region the grant does not allow", async () => {
    const { source, asked } = recording(EMULATOR_CREDENTIALS);
    await expect(issuer(source).issue(principal, () => ({ region: "us-east-1" }))).rejects.toThrow("this key may not use us-east-1");
    expect(asked).toHaveLength(0);
  });
});
