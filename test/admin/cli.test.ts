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
      stderr: expect.stringContaining("Unknown option '--hide' for keys commands"),
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
