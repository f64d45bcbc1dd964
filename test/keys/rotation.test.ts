import { beforeAll, describe, expect, it } from "vitest";
import { functionUrlEvent } from "../support/events.js";
import { useFixture } from "../support/fixture.js";
import type { TestService } from "../support/service.js";

const fixture = useFixture({ service: true });
let service: TestService;

beforeAll(() => {
  service = fixture.service;
});

const status = async (key: string): Promise<number> => (await service.api(functionUrlEvent({ path: "/v1/regions", key }))).statusCode;

describe("rotating a key", () => {
  it("keeps the keyId, accepts the new secret, and the old one only until the grace period ends", async () => {
    const old = await service.createKey({ name: "rotating" });
    const rotated = await service.admin.rotate(old.keyId, 3600);
    expect(rotated.keyId).toBe(old.keyId);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.key.startsWith(`mvk_${old.keyId}_`)).toBe(true);
    expect(await status(rotated.key)).toBe(200);
    expect(await status(old.key)).toBe(200);
    service.clock.advanceSeconds(3601);
    expect(await status(old.key)).toBe(401);
    expect(await status(rotated.key)).toBe(200);
  });

  it("a second rotation ends the first secret's grace at once", async () => {
    const first = await service.createKey();
    const second = await service.admin.rotate(first.keyId, 3600);
    const third = await service.admin.rotate(first.keyId, 3600);
    expect(await status(first.key)).toBe(401);
    expect(await status(second.key)).toBe(200);
    expect(await status(third.key)).toBe(200);
  });

  it("refuses to rotate a revoked key", async () => {
    const { keyId } = await service.createKey();
    await service.admin.revoke(keyId);
    await expect(service.admin.rotate(keyId, 60)).rejects.toThrow(/revoked/);
  });
});

describe("key expiry", () => {
  it("a key stops working at its expiresAt: usable a millisecond before, refused at the instant itself", async () => {
    const { key } = await service.createKey({ expiresAt: new Date(service.clock.now() + 60_000) });
    expect(await status(key)).toBe(200);
    service.clock.advance(59_999);
    expect(await status(key)).toBe(200);
    service.clock.advance(1);
    expect(await status(key)).toBe(401);
  });
});

describe("a key's own rate limit", () => {
  it("overrides the service default", async () => {
    const { key } = await service.createKey({ rateLimit: { perSecond: 1, burst: 2 } });
    expect([await status(key), await status(key), await status(key)]).toEqual([200, 200, 429]);
  });
});
