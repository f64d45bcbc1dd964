import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CatalogStore } from "../../lambda/catalog/store.js";
import { OverridesStore } from "../../lambda/catalog/overrides-store.js";
import { FileParameterStore } from "../../lambda/store/file.js";
import { useAdminCli } from "../support/admin.js";
import { ssmStore } from "../support/ssm.js";
import { parameterPaths } from "../../lambda/store/index.js";

const cli = useAdminCli();
const admin = (args: string[], env: Record<string, string> = {}) => cli.outcome(args, env);
const ssmEnv = () => cli.ssmEnv();

describe("models set / list / unset edit the overrides in SSM and bump keys-version", () => {
  it("set merges into the entry, list shows it, unset removes it; every write moves keys-version", async () => {
    const version = () => cli.ssm.value("/mantle-vend/keys-version");
    expect((await admin(["models", "set", "openai.gpt-5.*", "--apis", "chat-completions,responses"], ssmEnv())).code).toBe(0);
    const v1 = version();
    expect((await admin(["models", "set", "openai.gpt-5.*", "--context-window", "400000", "--reasoning", "true"], ssmEnv())).code).toBe(0);
    expect(version()).not.toBe(v1);
    expect(await new OverridesStore(ssmStore(cli.ssm), parameterPaths("/mantle-vend")).read()).toEqual({
      "openai.gpt-5.*": { apis: ["chat-completions", "responses"], contextWindow: 400000, reasoning: true },
    });
    const listed = await admin(["models", "list"], ssmEnv());
    expect(listed.stdout).toMatch(/^MODEL +VISIBILITY +APIS +ROUTE +CONTEXT/);
    expect(listed.stdout).toMatch(/openai\.gpt-5\.\* +- +chat-completions,responses +- +400000/);
    const v2 = version();
    expect((await admin(["models", "unset", "openai.gpt-5.*"], ssmEnv())).code).toBe(0);
    expect(version()).not.toBe(v2);
    expect(JSON.parse((await admin(["models", "list", "--json"], ssmEnv())).stdout)).toEqual({});
  });
});

describe("models against the local file store", () => {
  it("--local --data-dir writes the file store the local server reads", async () => {
    const dir = join(cli.home, "local");
    expect((await admin(["models", "set", "anthropic.claude-opus-4-8", "--add", "--input", "text,image", "--local", "--data-dir", dir])).code).toBe(0);
    expect((await admin(["--local", "--data-dir", dir, "models", "set", "deepseek.v3.2", "--hide"])).code).toBe(0);
    const stored = JSON.parse(await readFile(join(dir, "parameters.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(["/mantle-vend/catalog-overrides", "/mantle-vend/catalog-overrides/0", "/mantle-vend/keys-version"]);
    expect(JSON.parse((await admin(["models", "list", "--json", "--local", "--data-dir", dir])).stdout)).toEqual({
      "anthropic.claude-opus-4-8": { input: ["text", "image"], add: true },
      "deepseek.v3.2": { hidden: true },
    });
  });
});

describe("bad values are refused with a clear message and exit code 2, and nothing is written", () => {
  it.each<[string[], RegExp]>([
    [["--route", "/v2"], /route must be one of \/v1, \/openai\/v1, \/anthropic/],
    [["--apis", "chat"], /apis must be a non-empty list of chat-completions, responses, messages/],
    [["--context-window", "12k"], /--context-window takes a whole number of tokens/],
    [["--max-output-tokens", "0"], /maxOutputTokens must be a whole number from 1/],
    [["--reasoning", "yes"], /--reasoning takes true or false/],
    [["--input", "text,audio"], /input must be a non-empty list of text, image/],
    [["--hide", "--show"], /--hide and --show exclude each other/],
    [[], /set needs at least one of/],
    [["--colour", "red"], /^mantle-vend-admin: unknown option --colour; see mantle-vend-admin models set --help\n$/],
    [["--name", "x"], /^mantle-vend-admin: models set does not take --name; see mantle-vend-admin models set --help\n$/],
  ])("set %j", async (flags, message) => {
    const before = cli.ssm.value("/mantle-vend/keys-version");
    const result = await admin(["models", "set", "some.model", ...flags], ssmEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(cli.ssm.value("/mantle-vend/keys-version")).toBe(before);
  });

  it("add on a prefix and a malformed key are refused", async () => {
    expect((await admin(["models", "set", "openai.*", "--add"], ssmEnv())).stderr).toMatch(/add needs an exact model id/);
    expect((await admin(["models", "unset", "a*b"], ssmEnv())).stderr).toMatch(/not a model id or an id prefix ending in \*/);
  });
});

describe("models set takes Mantle ids only: a hostile id is refused and nothing is written", () => {
  it.each(["$(touch${IFS}/tmp/x)", "`id`", "a;b", "a b", "a\nb"])("set %j --add: exit 2, the id quoted, keys-version unchanged", async (id) => {
    const before = cli.ssm.value("/mantle-vend/keys-version");
    const result = await admin(["models", "set", id, "--add"], ssmEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${JSON.stringify(id)} is not a model id or an id prefix ending in *`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(cli.ssm.value("/mantle-vend/keys-version")).toBe(before);
  });
});

describe("__proto__, constructor and prototype: models set refuses them, and the round trip through list shows nothing stored", () => {
  it.each(["__proto__", "constructor", "prototype"])("%s", async (id) => {
    expect((await admin(["models", "set", "acme.kept", "--hide"], ssmEnv())).code).toBe(0);
    const before = cli.ssm.value("/mantle-vend/keys-version");
    const set = await admin(["models", "set", id, "--hide"], ssmEnv());
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(new RegExp(`"${id}" is reserved`));
    expect(cli.ssm.value("/mantle-vend/keys-version")).toBe(before);
    const unset = await admin(["models", "unset", id], ssmEnv());
    expect(unset.code).toBe(2);
    expect(JSON.parse((await admin(["models", "list", "--json"], ssmEnv())).stdout)).toEqual({ "acme.kept": { hidden: true } });
    expect(cli.ssm.value("/mantle-vend/keys-version")).toBe(before);
  });
});

describe("models set refuses an id no stored catalog lists (a typo), unless --add or --force says it is meant", () => {
  const model = (id: string) => ({ id, name: id, ownedBy: null, created: null, reasoning: false });
  const dir = (): string => join(cli.home, "typos");
  const local = (): string[] => ["--local", "--data-dir", dir()];
  const overrides = async (): Promise<string> => (await readFile(join(dir(), "parameters.json"), "utf8").catch(() => "")).includes("catalog-overrides") ? "written" : "none";

  it("with no catalog stored yet, it stores the entry and warns that it could not check", async () => {
    const result = await admin(["models", "set", "openai.gpt-oss-12b", "--hide", "--local", "--data-dir", join(cli.home, "no-catalog")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: no catalog is stored yet, so openai\.gpt-oss-12b was not checked against one\n/);
  });

  it("a typo is exit 2 with the nearest id, and nothing is written; known ids and prefixes, --add and --force go through", async () => {
    const catalogs = new CatalogStore(new FileParameterStore(dir()), parameterPaths("/mantle-vend"));
    const at = "2026-11-25T12:00:00.000Z";
    await catalogs.write("us-east-1", { checkedAt: at, changedAt: at, models: [model("deepseek.v3.2"), model("openai.gpt-oss-120b")] });
    await catalogs.write("us-west-2", { checkedAt: at, changedAt: at, models: [model("openai.gpt-5.5")] });

    const typo = await admin(["models", "set", "openai.gpt-oss-12b", "--hide", ...local()]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "mantle-vend-admin: openai.gpt-oss-12b is in no stored catalog (us-east-1, us-west-2); did you mean openai.gpt-oss-120b? " +
        "(--add adds a model Mantle does not list; --force stores the entry anyway)\n",
    );
    const prefix = await admin(["models", "set", "opneai.*", "--hide", ...local()]);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(/^mantle-vend-admin: no stored catalog has a model id starting with opneai\. \(us-east-1, us-west-2\)/);
    expect(await overrides()).toBe("none");

    for (const args of [["openai.gpt-5.5", "--hide"], ["openai.*", "--context-window", "128000"], ["openai.gpt-oss-12b", "--hide", "--force"], ["anthropic.claude-opus-4-8", "--add"]]) {
      const result = await admin(["models", "set", ...args, ...local()]);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    }
    // An entry that exists already (here: one --add made) is an edit, not a typo.
    expect((await admin(["models", "set", "anthropic.claude-opus-4-8", "--context-window", "200000", ...local()])).code).toBe(0);
  });
});
