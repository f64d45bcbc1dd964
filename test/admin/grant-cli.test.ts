/**
 * The grant flags of `keys create` and `keys update` (SPEC §12) and `usage`, run as an operator runs
 * the CLI: every bad value is one line naming its flag and exit 2, and nothing is written.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseKeyRecord } from "../../lambda/keys/record.js";
import { FileCounters } from "../../lambda/limits/index.js";
import { DynamoDbFake } from "../fakes/dynamodb-fake.js";
import { useAdminCli } from "../support/admin.js";

const cli = useAdminCli();

async function record(dir: string, keyId: string) {
  const stored = JSON.parse(await readFile(join(dir, "parameters.json"), "utf8")) as Record<string, string>;
  return parseKeyRecord(stored[`/mantle-vend/keys/${keyId}`] as string);
}

const local = (dir: string): string[] => ["--local", "--data-dir", dir];

describe("keys create and update take the grant's models and daily quota", () => {
  it("create stores models and mintsPerDay; update changes the grant, keeps the secret, and --all-models / --no-quota remove them", async () => {
    const dir = join(cli.home, "grants");
    const key = (await cli.run(["keys", "create", "--name", "team", "--models", "openai.*,deepseek.v3.2", "--mints-per-day", "50", ...local(dir)])).stdout.trim();
    const keyId = key.slice(4, 20);
    const created = await record(dir, keyId);
    expect(created).toMatchObject({ models: ["openai.*", "deepseek.v3.2"], mintsPerDay: 50, regions: ["*"] });

    await cli.run(["keys", "update", keyId, "--regions", "us-west-2", "--max-ttl", "15m", "--rate-limit", "2/4", "--mints-per-day", "9", "--name", "team b", ...local(dir)]);
    const updated = await record(dir, keyId);
    expect(updated).toMatchObject({ name: "team b", regions: ["us-west-2"], maxTtlSeconds: 900, rateLimit: { perSecond: 2, burst: 4 }, models: ["openai.*", "deepseek.v3.2"], mintsPerDay: 9 });
    expect(updated?.sha256).toBe(created?.sha256);
    expect(updated?.createdAt).toBe(created?.createdAt);

    await cli.run(["keys", "update", keyId, "--all-models", "--no-quota", ...local(dir)]);
    const opened = await record(dir, keyId);
    expect(opened?.models).toBeUndefined();
    expect(opened?.mintsPerDay).toBeUndefined();
    expect(opened).toMatchObject({ regions: ["us-west-2"], maxTtlSeconds: 900 });
    const shown = (await cli.run(["keys", "show", keyId, ...local(dir)])).stdout;
    expect(shown).toMatch(/^models\s+all$/m);
    expect(shown).toMatch(/^mints per day\s+no quota$/m);
  });

  it("update writes the key record and the config version to SSM under --prefix", async () => {
    const key = (await cli.run(["keys", "create", "--name", "remote", "--prefix", "/team"], cli.ssmEnv())).stdout.trim();
    cli.ssm.resetCalls();
    await cli.run(["keys", "update", key.slice(4, 20), "--models", "anthropic.*", "--prefix", "/team"], cli.ssmEnv());
    expect(cli.ssm.calls.filter((call) => call.action === "PutParameter").map((call) => call.name)).toEqual([`/team/keys/${key.slice(4, 20)}`, "/team/keys-version"]);
  });
});

describe("a bad grant value is one line naming its flag, exit 2, and nothing written", () => {
  let dir: string;
  let keyId: string;
  beforeAll(async () => {
    dir = join(cli.home, "bad");
    keyId = (await cli.run(["keys", "create", "--name", "good", ...local(dir)])).stdout.trim().slice(4, 20);
  });
  const fiftyOne = Array.from({ length: 51 }, (_, i) => `vendor.model-${i}`).join(",");
  const tooLong = Array.from({ length: 50 }, (_, i) => `vendor-with-a-long-name.a-model-id-that-goes-on-${i}`).join(",");
  it.each<[string, string[], string]>([
    ["a region Mantle does not serve", ["--regions", "us-east-1,ca-central-1"], "--regions"],
    ["a region that is no region", ["--regions", "Mars"], "--regions"],
    ["a maximum TTL under 60 s", ["--max-ttl", "59"], "--max-ttl"],
    ["a maximum TTL that is no duration", ["--max-ttl", "soon"], "--max-ttl"],
    ["a malformed rate limit", ["--rate-limit", "10"], "--rate-limit"],
    ["a pattern with * inside", ["--models", "openai.*-120b"], "--models"],
    ["a pattern with a space", ["--models", "open ai.x"], "--models"],
    ["an empty model list", ["--models", ","], "--models"],
    ["51 patterns", ["--models", fiftyOne], "--models"],
    ["patterns whose session policy STS would refuse", ["--models", tooLong], "--models"],
    ["a quota of zero", ["--mints-per-day", "0"], "--mints-per-day"],
    ["a fractional quota", ["--mints-per-day", "2.5"], "--mints-per-day"],
    ["models and all models", ["--models", "x.y", "--all-models"], "--models and --all-models"],
    ["a quota and no quota", ["--mints-per-day", "5", "--no-quota"], "--mints-per-day and --no-quota"],
  ])("%s", async (_what, flags, named) => {
    const before = await readFile(join(dir, "parameters.json"), "utf8");
    for (const command of [["keys", "create", "--name", "n"], ["keys", "update", keyId]]) {
      const outcome = await cli.inProcess([...command, ...flags, ...local(dir)]);
      expect(outcome.code).toBe(2);
      expect(outcome.stdout).toBe("");
      expect(outcome.stderr.trim().split("\n")).toHaveLength(1);
      expect(outcome.stderr).toContain(named);
    }
    expect(await readFile(join(dir, "parameters.json"), "utf8")).toBe(before);
  });

  it("an update with nothing to change is refused", async () => {
    const dir = join(cli.home, "nothing");
    const key = (await cli.run(["keys", "create", "--name", "n", ...local(dir)])).stdout.trim();
    const outcome = await cli.outcome(["keys", "update", key.slice(4, 20), ...local(dir)]);
    expect(outcome).toMatchObject({ code: 2, stderr: expect.stringContaining("update needs at least one of") });
  });
});

describe("usage lists each principal's mints of a day and its quota, from the table or the local counters", () => {
  it("--local reads the local server's counters file", async () => {
    const dir = join(cli.home, "usage");
    const counters = new FileCounters(dir, () => Date.parse("2026-11-25T12:00:00Z"));
    for (let i = 0; i < 3; i += 1) await counters.increment({ counter: { pk: "day#2026-11-25", sk: "key:aaaa" }, expiresAtSeconds: 4e9, attributes: { name: "alpha", quota: 10 } });
    await counters.increment({ counter: { pk: "day#2026-11-25", sk: "key:bbbb" }, expiresAtSeconds: 4e9, attributes: { name: "beta", quota: null } });
    await counters.increment({ counter: { pk: "day#2026-11-24", sk: "key:cccc" }, expiresAtSeconds: 4e9, attributes: { name: "old", quota: null } });
    await counters.settled();
    const { stdout } = await cli.run(["usage", "--day", "2026-11-25", ...local(dir)]);
    expect(stdout).toBe("PRINCIPAL  NAME   MINTS  QUOTA\nkey:aaaa   alpha  3      10\nkey:bbbb   beta   1      -\n");
  });

  it("reads the deployment's table, named in <prefix>/limits-table, with a query of the day", async () => {
    const dynamo = await DynamoDbFake.start();
    try {
      dynamo.createTable("stack-limits");
      dynamo.seed("stack-limits", { pk: { S: "day#2026-11-25" }, sk: { S: "key:dddd" }, count: { N: "7" }, name: { S: "delta" }, quota: { N: "7" } });
      dynamo.seed("stack-limits", { pk: { S: "rate#key:dddd" }, sk: { S: "1764072000" }, count: { N: "1" } });
      cli.ssm.seed("/team/limits-table", "stack-limits");
      const { stdout } = await cli.run(["usage", "--day", "2026-11-25", "--prefix", "/team"], { ...cli.ssmEnv(), AWS_ENDPOINT_URL_DYNAMODB: dynamo.url });
      expect(stdout).toBe("PRINCIPAL  NAME   MINTS  QUOTA\nkey:dddd   delta  7      7\n");
      expect(dynamo.calls.map((call) => call.action)).toEqual(["Query"]);
    } finally {
      await dynamo.close();
    }
  });

  it.each([["2026-13-01"], ["yesterday"], ["2026-02-30"]])("refuses --day %s", async (day) => {
    expect(await cli.inProcess(["usage", "--day", day, ...local(join(cli.home, "usage"))])).toMatchObject({ code: 2, stderr: expect.stringContaining("--day") });
  });

  it("says plainly when no limits table is deployed", async () => {
    const outcome = await cli.outcome(["usage", "--prefix", "/none"], cli.ssmEnv());
    expect(outcome).toMatchObject({ code: 1, stderr: expect.stringContaining("no limits table is deployed under /none") });
  });
});
