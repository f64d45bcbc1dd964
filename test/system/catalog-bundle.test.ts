import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import type { MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { useFixture } from "../support/fixture.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { bundleEnv, synthesizeBundle, type SynthesizedBundle } from "../support/bundle.js";
import { functionUrlEvent } from "../support/events.js";
import { ssmStore } from "../support/ssm.js";

let bundles: SynthesizedBundle;
const fixture = useFixture({ ssm: true, emulator: true });
let ssm: SsmFake;
let emulator: MantleEmulator;
let key: string;
let env: Record<string, string>;

beforeAll(async () => {
  bundles = await synthesizeBundle();
  ({ ssm, emulator } = fixture);
  ({ key } = await new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX).create({ name: "catalog-bundle" }));
  env = bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate });
  Object.assign(process.env, env);
});

/** A fresh container: a new Node process that imports the bundle and handles one event. */
async function inNewContainer(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(import.meta.dirname, "../support/invoke-bundle.mjs"), bundles.apiBundle, JSON.stringify(event)],
    { env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: "SILENT" } },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("@@result "));
  return JSON.parse((line as string).slice("@@result ".length)) as FunctionUrlResult;
}

const modelsEvent = (region: string): FunctionUrlEvent => functionUrlEvent({ path: "/v1/models", query: `region=${region}`, key });

// Each test starts from a store without catalogs and a fresh call log: none relies on another having run.
beforeEach(() => {
  for (const name of ssm.names("/mantle-vend/catalogs/")) ssm.delete(name);
  emulator.resetCalls();
  ssm.resetCalls();
});

describe("the deployed bundles share one catalog through SSM", () => {
  it("the first request fetches live and stores; a second container serves from SSM without calling Mantle", async () => {
    const first = await inNewContainer(modelsEvent("us-west-2"));
    expect(first.statusCode).toBe(200);
    expect(emulator.count({ region: "us-west-2", path: "/v1/models" })).toBe(1);
    expect(ssm.names("/mantle-vend/catalogs/")).toContain("/mantle-vend/catalogs/us-west-2");

    ssm.resetCalls();
    const second = await inNewContainer(modelsEvent("us-west-2"));
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(emulator.count({ region: "us-west-2", path: "/v1/models" })).toBe(1);
    expect(ssm.count("GetParameter")).toBeGreaterThan(0);
  });

  it("the refresh function refreshes every region concurrently and logs one summary line", async () => {
    // us-west-2 is in the store before the refresh, as the API left it: the refresh finds it unchanged.
    expect((await inNewContainer(modelsEvent("us-west-2"))).statusCode).toBe(200);
    expect(ssm.names("/mantle-vend/catalogs/")).toContain("/mantle-vend/catalogs/us-west-2");
    emulator.resetCalls();
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    emulator.setFailure("eu-south-1", "http500");
    emulator.setCatalog("us-east-2", [{ id: "openai.gpt-oss-20b" }]);
    let summary: { regions: number; refreshed: string[]; changed: string[]; failed: string[] };
    process.env.POWERTOOLS_LOG_LEVEL = "INFO";
    try {
      const { handler } = (await import(pathToFileURL(bundles.refreshBundle).href)) as { handler: () => Promise<typeof summary> };
      summary = await handler();
    } finally {
      spy.mockRestore();
    }
    expect(summary.regions).toBe(12);
    expect(summary.failed).toEqual(["eu-south-1"]);
    expect(summary.refreshed).toHaveLength(11);
    // Every region but us-west-2 is new to the store.
    expect(summary.changed).toEqual(MANTLE_REGIONS.filter((r) => r !== "us-west-2" && r !== "eu-south-1"));
    for (const region of MANTLE_REGIONS) expect(emulator.count({ region, path: "/v1/models" })).toBe(1);
    const logged = lines.join("").split("\n").filter((l) => l.includes('"catalog refresh"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ regions: 12, failed: ["eu-south-1"], durationMs: expect.any(Number) });
    expect(ssm.names("/mantle-vend/catalogs/").filter((n) => /catalogs\/[a-z0-9-]+$/.test(n))).toHaveLength(11);
  });
});
