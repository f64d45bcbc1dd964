import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentityPolicy } from "../../lambda/identity/policy.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { useAdminCli } from "../support/admin.js";

const cli = useAdminCli();
const admin = (args: string[], env: Record<string, string> = {}) => cli.run(args, env);

/** The CLI run in this process (the spawned one is proven above and in the SSM case): fails unless it exits 0. */
async function here(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const outcome = await cli.inProcess(args);
  if (outcome.code !== 0) throw Object.assign(new Error(outcome.stderr), outcome);
  return outcome;
}
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await TestIssuer.start();
});

afterAll(async () => {
  await issuer?.close();
});

const GITHUB = "https://token.actions.githubusercontent.com";

async function stored(dir: string, name: string): Promise<Record<string, unknown>> {
  const parameters = JSON.parse(await readFile(join(dir, "parameters.json"), "utf8")) as Record<string, string>;
  const text = parameters[`/mantle-vend/identities/${name}`];
  if (text === undefined) throw new Error(`no policy ${name} stored`);
  expect(parseIdentityPolicy(name, text), "stored as the service reads it").toBeDefined();
  return JSON.parse(text) as Record<string, unknown>;
}

/** The identity parameters in a local data dir (none when it was never written). */
async function storedNames(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, "parameters.json"), "utf8").catch(() => "{}");
  return Object.keys(JSON.parse(text) as Record<string, string>).filter((name) => name.includes("/identities/"));
}

describe("identities add, show, list, update and remove on the local file store", () => {
  it("add stores the policy the flags describe, with its grant, and makes no network call", async () => {
    const dir = join(cli.home, "local");
    const { stdout, stderr } = await admin([
      "identities", "add", "ci", "--issuer", issuer.url, "--audience", "mantle-vend,sts", "--claim", "repository=acme/*", "--claim", "/kubernetes.io/namespace=ci",
      "--subject", "repo:{repository}", "--max-token-lifetime", "1h", "--expires-in", "30d", "--regions", "us-east-1", "--max-ttl", "900", "--rate-limit", "5/50",
      "--local", "--data-dir", dir,
    ]);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^added identity policy ci for http:\/\/127\.0\.0\.1:\d+/);
    expect(issuer.requests).toEqual([]);
    const record = await stored(dir, "ci");
    expect(record).toMatchObject({
      issuer: issuer.url,
      audiences: ["mantle-vend", "sts"],
      claims: { repository: "acme/*", "/kubernetes.io/namespace": "ci" },
      subject: "repo:{repository}",
      maxTokenLifetimeSeconds: 3600,
      regions: ["us-east-1"],
      maxTtlSeconds: 900,
      rateLimit: { perSecond: 5, burst: 50 },
    });
    const days = (Date.parse(String(record.expiresAt)) - Date.parse(String(record.createdAt))) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });

  it("show describes it, list tables it, update changes only what it names, --disable/--enable, remove deletes it", async () => {
    const dir = join(cli.home, "cycle");
    const target = ["--local", "--data-dir", dir];
    await here(["identities", "add", "gh", "--issuer", GITHUB, "--audience", "mantle-vend", "--claim", "repository=acme/*", ...target]);
    const shown = (await here(["identities", "show", "gh", ...target])).stdout;
    expect(shown).toMatch(/^status\s+active$/m);
    expect(shown).toMatch(/^issuer\s+https:\/\/token\.actions\.githubusercontent\.com$/m);
    expect(shown).toMatch(/^claims\s+repository=acme\/\*$/m);
    expect(shown).toMatch(/^subject\s+\{sub\} \(default\)$/m);
    expect(shown).toMatch(/^keys\s+discovery \(https:\/\/token\.actions\.githubusercontent\.com\/\.well-known\/openid-configuration\)$/m);
    expect(shown).toMatch(/^regions\s+\*$/m);
    expect(JSON.parse((await here(["identities", "show", "gh", "--json", ...target])).stdout)).toMatchObject({ name: "gh", issuer: GITHUB, maxTtlSeconds: 43200 });

    await here(["identities", "update", "gh", "--regions", "eu-west-1", "--subject", "{repository}", ...target]);
    expect(await stored(dir, "gh")).toMatchObject({ regions: ["eu-west-1"], subject: "{repository}", claims: { repository: "acme/*" }, audiences: ["mantle-vend"] });

    const jwks = join(dir, "jwks.json");
    await writeFile(jwks, JSON.stringify(issuer.jwks()));
    await here(["identities", "update", "gh", "--jwks-file", jwks, ...target]);
    expect((await stored(dir, "gh")).jwks).toEqual(issuer.jwks());
    await here(["identities", "update", "gh", "--jwks-uri", issuer.jwksUri, ...target]);
    const switched = await stored(dir, "gh");
    expect([switched.jwksUri, switched.jwks]).toEqual([issuer.jwksUri, undefined]);

    await here(["identities", "update", "gh", "--disable", ...target]);
    expect((await here(["identities", "list", ...target])).stdout).toMatch(/^gh\s+https:\/\/token\.actions\.githubusercontent\.com\s+mantle-vend\s+eu-west-1\s+disabled$/m);
    await here(["identities", "update", "gh", "--enable", ...target]);
    expect(await stored(dir, "gh")).not.toHaveProperty("disabled");

    await here(["identities", "remove", "gh", ...target]);
    expect((await here(["identities", "list", ...target])).stdout).toBe("NAME  ISSUER  AUDIENCES  REGIONS  STATUS\n");
    await expect(here(["identities", "show", "gh", ...target])).rejects.toMatchObject({ code: 1, stderr: "mantle-vend-admin: no identity policy gh\n" });
  });

  it("add refuses a name that exists; update and remove refuse one that does not (exit 1)", async () => {
    const target = ["--local", "--data-dir", join(cli.home, "exists")];
    await here(["identities", "add", "one", "--issuer", GITHUB, "--audience", "a", ...target]);
    await expect(here(["identities", "add", "one", "--issuer", GITHUB, "--audience", "a", ...target])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("exists") });
    await expect(here(["identities", "update", "two", "--audience", "b", ...target])).rejects.toMatchObject({ code: 1 });
    await expect(here(["identities", "remove", "two", ...target])).rejects.toMatchObject({ code: 1 });
  });
});

describe("identities on SSM under --prefix", () => {
  it("writes a String parameter and a new config version, lists and removes", async () => {
    const before = cli.ssm.value("/team/keys-version");
    await admin(["identities", "add", "k8s", "--issuer", "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "--audience", "mantle-vend", "--prefix", "/team"], cli.ssmEnv());
    expect(cli.ssm.names("/team/identities/")).toEqual(["/team/identities/k8s"]);
    const puts = cli.ssm.calls.filter((c) => c.action === "PutParameter").map((c) => c.name);
    expect(puts.slice(-2)).toEqual(["/team/identities/k8s", "/team/keys-version"]);
    expect(cli.ssm.value("/team/keys-version")).not.toBe(before);
    expect((await admin(["identities", "list", "--prefix", "/team"], cli.ssmEnv())).stdout).toMatch(/^k8s\s+https:\/\/oidc\.eks/m);
    await admin(["identities", "update", "k8s", "--claim", "sub=system:serviceaccount:ci:*", "--prefix", "/team"], cli.ssmEnv());
    expect(JSON.parse(cli.ssm.value("/team/identities/k8s") ?? "{}")).toMatchObject({ claims: { sub: "system:serviceaccount:ci:*" } });
    await admin(["identities", "remove", "k8s", "--prefix", "/team"], cli.ssmEnv());
    expect(cli.ssm.names("/team/identities/")).toEqual([]);
  });
});

describe("a bad value exits 2 with one line naming the flag, and writes nothing", () => {
  const dir = () => join(cli.home, "bad");
  const add = ["identities", "add", "ok", "--issuer", GITHUB, "--audience", "mantle-vend"];
  it.each([
    ["--issuer", ["identities", "add", "ok", "--issuer", "http://idp.example.com", "--audience", "a"]],
    ["--issuer", ["identities", "add", "ok", "--issuer", "https://idp.example.com/?tenant=x", "--audience", "a"]],
    ["--issuer", ["identities", "add", "ok", "--issuer", "not a url", "--audience", "a"]],
    ["--issuer", ["identities", "add", "ok", "--audience", "a"]],
    ["--audience", ["identities", "add", "ok", "--issuer", GITHUB]],
    ["--audience", [...add.slice(0, 5), "--audience", ","]],
    ["--claim", [...add, "--claim", "repository"]],
    ["--claim", [...add, "--claim", "=acme/*"]],
    ["--subject", [...add, "--subject", "repo:{repository"]],
    ["--subject", [...add, "--subject", "repo {repository}"]],
    ["--jwks-uri", [...add, "--jwks-uri", "http://keys.example.com/jwks"]],
    ["--jwks-file", [...add, "--jwks-file", "/nonexistent/jwks.json"]],
    ["--jwks-uri", [...add, "--jwks-uri", "https://k.example/jwks", "--jwks-file", "/x.json"]],
    ["--max-token-lifetime", [...add, "--max-token-lifetime", "30"]],
    ["--max-token-lifetime", [...add, "--max-token-lifetime", "forever"]],
    ["--expires-in", [...add, "--expires-in", "soon"]],
    ["--regions", [...add, "--regions", "mars"]],
    ["--max-ttl", [...add, "--max-ttl", "1y"]],
    ["--rate-limit", [...add, "--rate-limit", "fast"]],
    ["name", ["identities", "add", "Bad_Name", "--issuer", GITHUB, "--audience", "a"]],
    ["--disable", [...add, "--disable"]],
    ["--hide", [...add, "--hide"]],
  ])("%s: %j", async (flag, args) => {
    const outcome = await cli.inProcess([...args, "--local", "--data-dir", dir()]);
    expect(outcome.code, outcome.stderr).toBe(2);
    const lines = outcome.stderr.trimEnd().split("\n");
    expect(lines, outcome.stderr).toHaveLength(1);
    expect(lines[0]).toContain(flag === "name" ? "policy name" : flag);
    expect(outcome.stdout).toBe("");
    expect(await storedNames(dir())).toEqual([]);
  });

  it("as a spawned process too: exit status 2 and the one line", async () => {
    const outcome = await cli.outcome([...add, "--claim", "repository", "--local", "--data-dir", dir()]);
    expect([outcome.code, outcome.stderr.split("\n").length]).toEqual([2, 2]);
    expect(outcome.stderr).toMatch(/^mantle-vend-admin: --claim takes NAME=PATTERN/);
  });

  it("a JWKS file with private key material is refused by name", async () => {
    const file = join(cli.home, "private.json");
    await writeFile(file, JSON.stringify({ keys: [{ kty: "RSA", n: "n", e: "AQAB", d: "private" }] }));
    const outcome = await cli.inProcess([...add, "--jwks-file", file, "--local", "--data-dir", dir()]);
    expect([outcome.code, outcome.stderr]).toEqual([2, "mantle-vend-admin: --jwks-file holds private key material: give the issuer's public keys only\n"]);
  });
});
