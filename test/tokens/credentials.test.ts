import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { attributionCredentialSource } from "../../lambda/tokens/credentials.js";
import { sessionPolicy, sessionTags, type SigningSubject } from "../../lambda/grants/index.js";
import { mintToken } from "../../lambda/tokens/mint.js";
import { StsFake } from "../fakes/sts-fake.js";
import { ManualClock } from "../support/clock.js";

const SUBJECT: SigningSubject = { sessionName: "mvk-0123456789abcdef-team", sourceIdentity: "mvk-0123456789abcdef", policy: sessionPolicy(["us-east-1"]), tags: sessionTags("key:0123456789abcdef", "team") };
const HOUR = 3600;

let sts: StsFake;
let client: STSClient;
const clock = new ManualClock();

beforeAll(async () => {
  sts = await StsFake.start({ now: clock.now });
  client = new STSClient({ endpoint: sts.url, region: "us-east-1", credentials: { accessKeyId: "AKIDSTSFAKE", secretAccessKey: "sts-fake-secret" } });
});

afterAll(async () => {
  client.destroy();
  await sts.close();
});

beforeEach(() => {
  sts.calls.length = 0;
  sts.setSessionSeconds(HOUR);
});

const source = () => attributionCredentialSource({ roleArn: "arn:aws:iam::123456789012:role/t", sts: async () => client, clock: clock.now });

describe("a key's STS session signs its tokens while it has half the asked TTL left", () => {
  it("makes one AssumeRole for hour-long tokens until half the session is gone, then a new one", async () => {
    const credentials = source();
    const first = await credentials(SUBJECT, HOUR);
    for (let minute = 0; minute < 30; minute += 1) {
      expect(await credentials(SUBJECT, HOUR)).toBe(first);
      clock.advanceSeconds(60);
    }
    expect(sts.calls).toHaveLength(1);
    clock.advanceSeconds(1);
    await credentials(SUBJECT, HOUR);
    expect(sts.calls).toHaveLength(2);
  });

  it("clamps a token signed with a reused session to the session's expiry", async () => {
    const credentials = source();
    const session = await credentials(SUBJECT, HOUR);
    clock.advanceSeconds(20 * 60);
    const reused = await credentials(SUBJECT, HOUR);
    expect(reused).toBe(session);
    expect(sts.calls).toHaveLength(1);
    const minted = await mintToken(reused, "us-east-1", HOUR);
    expect(minted.expiresAt).toEqual(session.expiration);
  });

  it("never signs a short token with a session that would cut it", async () => {
    const credentials = source();
    await credentials(SUBJECT, 300);
    clock.advanceSeconds(HOUR - 299);
    await credentials(SUBJECT, 300);
    expect(sts.calls).toHaveLength(2);
  });
});
