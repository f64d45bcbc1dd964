/**
 * `npm run test:node24` runs every suite that calls synthesizeBundle() under Node 24 and says so in
 * MANTLE_VEND_EXPECT_NODE; this one checks that claim: the worker and the processes it starts are that
 * Node, and the bundle `cdk deploy` would upload loads and answers there, as in a new container.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionUrlResult } from "../../lambda/http/index.js";
import { MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { functionUrlEvent } from "../support/events.js";

const run = promisify(execFile);
const expected = process.env.MANTLE_VEND_EXPECT_NODE ?? process.version;
let ssm: SsmFake;
let emulator: MantleEmulator;
let apiBundle: string;

beforeAll(async () => {
  ({ apiBundle } = await synthesizeBundle());
  ssm = await SsmFake.start();
  emulator = await MantleEmulator.start();
});

afterAll(async () => {
  await emulator?.close();
  await ssm?.close();
});

describe("the bundle suites run on the Node they were started for", () => {
  it("the test worker and a child of process.execPath are that Node", async () => {
    expect(process.version).toBe(expected);
    expect((await run(process.execPath, ["--version"])).stdout.trim()).toBe(expected);
  });

  it("a fresh process of that Node imports the API bundle and answers /healthz", async () => {
    const { stdout } = await run(
      process.execPath,
      [join(import.meta.dirname, "..", "support", "invoke-bundle.mjs"), apiBundle, JSON.stringify(functionUrlEvent({ path: "/healthz" }))],
      { env: { ...process.env, ...bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }), POWERTOOLS_LOG_LEVEL: "SILENT" } },
    );
    const line = stdout.split("\n").find((l) => l.startsWith("@@result "));
    expect(line).toBeDefined();
    const result = JSON.parse((line ?? "").slice("@@result ".length)) as FunctionUrlResult;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? "")).toMatchObject({ status: "ok" });
  });
});
