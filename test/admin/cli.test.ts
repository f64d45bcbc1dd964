import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashKey, parseKeyRecord } from "../../lambda/keys/record.js";
import { useAdminCli } from "../support/admin.js";

const cli = useAdminCli();
const admin = (args: string[], env: Record<string, string> = {}) => cli.run(args, env);
const ssmEnv = () => cli.ssmEnv();

describe("keys create", () => {
  it("prints the new key alone on stdout and stores only its hash", async () => {
    const dir = join(cli.home, "local");
    const { stdout } = await admin(["keys", "create", "--name", "ci", "--regions", "us-east-1,eu-west-1", "--max-ttl", "900", "--expires-in", "30d", "--local", "--data-dir", dir]);
    const key = stdout.trim();
    expect(stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = await readFile(join(dir, "parameters.json"), "utf8");
    expect(stored).not.toContain(key.slice(21));
    const record = parseKeyRecord((JSON.parse(stored) as Record<string, string>)[`/mantle-vend/keys/${key.slice(4, 20)}`] as string);
    expect(record).toMatchObject({ name: "ci", sha256: hashKey(key), regions: ["us-east-1", "eu-west-1"], maxTtlSeconds: 900 });
    const days = (Date.parse(record?.expiresAt as string) - Date.parse(record?.createdAt as string)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });

  it("writes a SecureString record and a new keys-version to SSM under --prefix", async () => {
    const before = cli.ssm.value("/team/keys-version");
    const { stdout } = await admin(["keys", "create", "--name", "remote", "--prefix", "/team"], ssmEnv());
    const keyId = stdout.trim().slice(4, 20);
    expect(cli.ssm.names("/team/keys/")).toEqual([`/team/keys/${keyId}`]);
    const put = cli.ssm.calls.filter((c) => c.action === "PutParameter").map((c) => c.name);
    expect(put).toEqual([`/team/keys/${keyId}`, "/team/keys-version"]);
    expect(cli.ssm.value("/team/keys-version")).not.toBe(before);
  });

  it("refuses bad flags with a usage error and exit code 2", async () => {
    await expect(admin(["keys", "create", "--local", "--data-dir", join(cli.home, "x")])).rejects.toMatchObject({ code: 2 });
    await expect(admin(["keys", "create", "--name", "n", "--regions", "mars", "--local"])).rejects.toMatchObject({ code: 2 });
    await expect(admin(["keys", "create", "--name", "n", "--expires-in", "soon", "--local"])).rejects.toMatchObject({ code: 2 });
    // A flag of the models commands is refused, not silently ignored.
    await expect(admin(["keys", "create", "--name", "n", "--hide", "--local", "--data-dir", join(cli.home, "x")])).rejects.toMatchObject({
      code: 2,
      stderr: "mantle-vend-admin: keys create does not take --hide; see mantle-vend-admin keys create --help\n",
    });
  });
});

describe("keys rotate and show", () => {
  it("rotate prints a new secret for the same key id; show describes the key without secrets", async () => {
    const dir = join(cli.home, "rotate");
    const key = (await admin(["keys", "create", "--name", "rot", "--rate-limit", "5/50", "--local", "--data-dir", dir])).stdout.trim();
    const keyId = key.slice(4, 20);
    const rotated = (await admin(["keys", "rotate", keyId, "--grace", "2h", "--local", "--data-dir", dir])).stdout;
    expect(rotated).toMatch(new RegExp(`^mvk_${keyId}_[A-Za-z0-9_-]{43}\n$`));
    const shown = (await admin(["keys", "show", keyId, "--local", "--data-dir", dir])).stdout;
    expect(shown).toMatch(/^name\s+rot$/m);
    expect(shown).toMatch(/^status\s+active$/m);
    expect(shown).toMatch(/^rate limit\s+5\/s, burst 50$/m);
    expect(shown).toMatch(/^previous secret valid until\s+\d{4}-/m);
    for (const secret of [key, rotated.trim()]) {
      expect(shown).not.toContain(secret.slice(21));
      expect(shown).not.toContain(hashKey(secret));
    }
  });
});

describe("keys list and revoke", () => {
  it("lists keys without secrets or hashes and shows a revoked key as revoked", async () => {
    const dir = join(cli.home, "listing");
    const key = (await admin(["keys", "create", "--name", "to-revoke", "--local", "--data-dir", dir])).stdout.trim();
    const keyId = key.slice(4, 20);
    await admin(["keys", "revoke", keyId, "--local", "--data-dir", dir]);
    const { stdout } = await admin(["keys", "list", "--local", "--data-dir", dir]);
    expect(stdout).toMatch(new RegExp(`${keyId}\\s+to-revoke\\s+\\*\\s+43200\\s+\\S+\\s+-\\s+revoked`));
    expect(stdout).not.toContain(key.slice(21));
    expect(stdout).not.toContain(hashKey(key));
  });

  it("fails clearly when revoking a key that does not exist", async () => {
    await expect(admin(["keys", "revoke", "0123456789abcdef", "--local", "--data-dir", join(cli.home, "none")])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("no key 0123456789abcdef"),
    });
  });
});

describe("help per command, with the exit codes", () => {
  it("`<group> <command> --help` prints that command's usage, the target flags and the exit codes, on stdout, exit 0", async () => {
    const create = await cli.outcome(["keys", "create", "--help"]);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/^usage: mantle-vend-admin keys create --name N /);
    expect(create.stdout).not.toContain("keys revoke");
    expect(create.stdout).toMatch(/^exit codes: 0 done; 1 the store failed or refused .*\n.*2 bad command line .*3 no AWS region or credentials/m);
    expect(create.stdout).toContain("--region (default $AWS_REGION");
    const set = await cli.outcome(["models", "set", "--help"]);
    expect(set.stdout).toMatch(/^usage: mantle-vend-admin models set <id\|prefix\*> /);
    expect(set.stdout).not.toBe(create.stdout);
    const group = await cli.outcome(["keys", "--help"]);
    expect(group.stdout).toMatch(/^usage: mantle-vend-admin keys <create\|update\|list\|show\|rotate\|revoke>/);
    expect(group.stdout).toContain("exit codes:");
  });
});

describe("a mistake on the command line is one clean line and exit 2", () => {
  it.each<[string[], string]>([
    [["keys", "create", "--bogus"], "unknown option --bogus; see mantle-vend-admin keys create --help"],
    [["keys", "list", "--name", "x"], "keys list does not take --name; see mantle-vend-admin keys list --help"],
    [["keys", "create", "--name"], "--name needs a value; see mantle-vend-admin keys create --help"],
    [["keys", "create", "--name", "--local"], "--name needs a value; see mantle-vend-admin keys create --help"],
    [["models", "list", "--json=yes"], "--json takes no value; see mantle-vend-admin models list --help"],
    [["keys", "frob"], "unknown command keys frob (commands: create, update, list, show, rotate, revoke); see mantle-vend-admin keys --help"],
    [["widgets", "list"], "unknown command group widgets; see mantle-vend-admin --help"],
  ])("%j", async (args, line) => {
    const result = await cli.outcome([...args, "--local", "--data-dir", join(cli.home, "mistakes")]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`mantle-vend-admin: ${line}\n`);
  });
});

describe("against SSM, what is missing from the AWS configuration is exit 3 with what to set", () => {
  it("no region (a fresh shell after a deploy): names --region and AWS_REGION, and calls nothing", async () => {
    const calls = cli.ssm.calls.length;
    const { AWS_REGION: _region, ...noRegion } = ssmEnv();
    const result = await cli.outcome(["keys", "list"], noRegion);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe("mantle-vend-admin: no AWS region for Parameter Store: pass --region <the stack's Region output>, or set AWS_REGION\n");
    expect(cli.ssm.calls.length).toBe(calls);
    const withFlag = await cli.outcome(["keys", "list", "--region", "us-east-1"], noRegion);
    expect(withFlag.code, withFlag.stderr).toBe(0);
  });

  it("no credentials: says so in one line", async () => {
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...noCredentials } = ssmEnv();
    const result = await cli.outcome(["keys", "list"], noCredentials);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^mantle-vend-admin: no AWS credentials for Parameter Store: .+\n$/);
  });
});
