import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parameterPaths, StoreUnavailableError, type ParameterStore } from "../../lambda/store/index.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { ssmStore } from "../support/ssm.js";

let fake: SsmFake;
let store: ParameterStore;

beforeAll(async () => {
  fake = await SsmFake.start();
  store = ssmStore(fake);
});
afterAll(() => fake.close());
beforeEach(() => {
  for (const name of fake.names()) fake.delete(name);
});

/** Every call the store offers, as the service makes them. */
const calls: Array<[string, (s: ParameterStore) => Promise<unknown>]> = [
  ["get", (s) => s.get("/p/a")],
  ["getMany", (s) => s.getMany(["/p/a", "/p/b"])],
  ["getByPath", (s) => s.getByPath("/p")],
  ["put", (s) => s.put("/p/a", "1")],
  ["delete", (s) => s.delete("/p/a")],
];

describe("every SSM failure leaves the store as StoreUnavailableError, the SDK's error as its cause", () => {
  it.each(calls)("%s, throttled", async (_name, call) => {
    fake.inject({ kind: "throttle", times: 1 });
    const error = await call(store).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error & { cause: Error }).cause.name).toBe("ThrottlingException");
    expect((error as Error).message).toContain("ThrottlingException");
  });
});

describe("a missing parameter is an answer, not a failure", () => {
  it("get answers undefined, getMany leaves it out, delete succeeds", async () => {
    await store.put("/p/b", "2");
    expect(await store.get("/p/a")).toBeUndefined();
    expect(await store.getMany(["/p/a", "/p/b"])).toEqual([{ name: "/p/b", value: "2" }]);
    await expect(store.delete("/p/a")).resolves.toBeUndefined();
  });
});

describe("the service's parameter names are built in one place, as docs/operations.md lists them", () => {
  it("names every parameter under the prefix, a trailing slash ignored", () => {
    const paths = parameterPaths("/team/mantle-vend/");
    expect(paths.prefix).toBe("/team/mantle-vend");
    expect(paths.configVersion).toBe("/team/mantle-vend/keys-version");
    expect(paths.keys).toBe("/team/mantle-vend/keys");
    expect(paths.key("0123456789abcdef")).toBe("/team/mantle-vend/keys/0123456789abcdef");
    expect(paths.catalogs).toBe("/team/mantle-vend/catalogs");
    expect(paths.catalog("us-west-2")).toBe("/team/mantle-vend/catalogs/us-west-2");
    expect(paths.catalogOverrides).toBe("/team/mantle-vend/catalog-overrides");
  });
});
