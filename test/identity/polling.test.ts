/**
 * Identity policies load and reload with the keys, under the one config version, against the SSM
 * fake: a change reaches a running container at its next version poll (about a minute), a request
 * with a JWT costs no SSM call, and a cold start lists keys and policies side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityAdmin } from "../../lambda/admin/identities-admin.js";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { ManualClock } from "../support/clock.js";
import { functionUrlEvent } from "../support/events.js";
import { startFixture } from "../support/fixture.js";
import type { TestService } from "../support/service.js";
import { ssmStore } from "../support/ssm.js";

const clock = new ManualClock(Date.now());
let fixture: Awaited<ReturnType<typeof startFixture>>;
let ssm: SsmFake;
let service: TestService;
let issuer: TestIssuer;
let admin: IdentityAdmin;

beforeAll(async () => {
  issuer = await TestIssuer.start({ now: clock.now });
  fixture = await startFixture({
    ssm: true,
    service: ({ ssm: fake }) => ({ store: fake && ssmStore(fake), clock, pollIntervalMs: 60_000, env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1" } }),
  });
  ({ ssm, service } = fixture);
  admin = new IdentityAdmin(ssmStore(ssm), "/mantle-vend");
});

afterAll(async () => {
  await fixture?.close();
  await issuer?.close();
});

async function whoami(token: string): Promise<FunctionUrlResult> {
  const result = await service.api(functionUrlEvent({ path: "/v1/whoami", headers: { authorization: `Bearer ${token}` } }));
  await service.settle();
  return result;
}

describe("identity policies reach running containers with the keys' version poll", () => {
  it("a policy added is admitted at the next poll, not before; requests with a JWT make no SSM call; a removed one stops at the poll after", async () => {
    const token = await issuer.sign({ aud: "mantle-vend", sub: "job-1" }, { lifetimeSeconds: 3600 });
    expect((await whoami(token)).statusCode).toBe(401); // cold start: keys and (no) policies loaded
    expect(ssm.calls.filter((c) => c.action === "GetParametersByPath").map((c) => c.path).sort()).toEqual(["/mantle-vend/identities", "/mantle-vend/keys"]);

    await admin.add("ci", { record: { issuer: issuer.url, audiences: ["mantle-vend"], jwksUri: issuer.jwksUri }, grant: {} });
    ssm.resetCalls();
    clock.advanceSeconds(30);
    expect((await whoami(token)).statusCode).toBe(401); // no poll due yet
    expect(ssm.calls).toEqual([]);
    clock.advanceSeconds(31);
    await whoami(token); // starts the poll, answers from memory
    expect(ssm.calls.filter((c) => c.action === "GetParametersByPath").map((c) => c.path).sort()).toEqual(["/mantle-vend/identities", "/mantle-vend/keys"]);
    expect(JSON.parse((await whoami(token)).body)).toMatchObject({ principal: "identity:ci:job-1" });

    ssm.resetCalls();
    for (let i = 0; i < 20; i += 1) expect((await whoami(token)).statusCode).toBe(200);
    expect(ssm.calls).toEqual([]);

    await admin.remove("ci");
    clock.advanceSeconds(61);
    await whoami(token);
    expect((await whoami(token)).statusCode).toBe(401);
  });
});
