import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { FileParameterStore } from "../../lambda/store/file.js";

const run = promisify(execFile);
const WRITER = join(import.meta.dirname, "file-writer.ts");
const PAIRS_PER_PROCESS = 15;

let dir: string;
let outside: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mantle-vend-file-store-"));
  outside = join(dir, "outside.txt");
  await writeFile(outside, "untouched\n");
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const data = (): string => join(dir, "data");

describe("writers in two processes never lose each other's updates", () => {
  it(`keeps every key of ${PAIRS_PER_PROCESS} concurrent create+revoke pairs per process`, async () => {
    const writer = (): Promise<{ stdout: string }> =>
      run(process.execPath, ["--import", "tsx", WRITER, data(), String(PAIRS_PER_PROCESS)], { cwd: join(import.meta.dirname, "../..") });
    const outputs = await Promise.all([writer(), writer()]);
    const created = outputs.flatMap(({ stdout }) => stdout.trim().split("\n"));
    expect(created).toHaveLength(2 * PAIRS_PER_PROCESS);
    const stored = await new KeyAdmin(new FileParameterStore(data()), "/mantle-vend").list();
    expect(stored.map((k) => k.keyId).sort()).toEqual([...created].sort());
    expect(stored.every((k) => k.record.disabled === true)).toBe(true);
  });

  it("keeps every write of two store instances in one process writing at once", async () => {
    const a = new FileParameterStore(data());
    const b = new FileParameterStore(data());
    await Promise.all(Array.from({ length: 20 }, (_, i) => [a.put(`/a/${i}`, "x"), b.put(`/b/${i}`, "y")]).flat());
    expect(await a.getByPath("/a")).toHaveLength(20);
    expect(await a.getByPath("/b")).toHaveLength(20);
    expect((await readdir(data())).sort()).toEqual(["parameters.json"]);
  });
});

describe("the file store follows no symlink in its data dir", () => {
  it("never writes through a symlink planted where a predictable temporary file would go", async () => {
    const now = 1_750_000_000_000;
    vi.spyOn(Date, "now").mockReturnValue(now);
    const store = new FileParameterStore(data());
    await store.put("/first", "1");
    await symlink(outside, join(data(), `parameters.json.${process.pid}.${now}.tmp`));
    await store.put("/second", "2").catch(() => undefined);
    expect(await readFile(outside, "utf8")).toBe("untouched\n");
  });

  it("refuses to read a parameters file that is a symlink", async () => {
    const store = new FileParameterStore(data());
    await store.put("/first", "1");
    await rm(join(data(), "parameters.json"));
    await writeFile(outside, JSON.stringify({ "/planted": "evil" }));
    await symlink(outside, join(data(), "parameters.json"));
    await expect(store.get("/planted")).rejects.toThrow(/symlink/);
  });

  it("refuses a data dir that is a symlink", async () => {
    await symlink(tmpdir(), data());
    await expect(new FileParameterStore(data()).put("/x", "1")).rejects.toThrow(/not a directory/);
  });
});

describe("a lock left by a writer that died is broken, a live one is waited for a bounded time", () => {
  it("writes after breaking a lock older than the stale limit", async () => {
    const store = new FileParameterStore(data());
    await store.put("/first", "1");
    const lock = join(data(), "parameters.json.lock");
    await writeFile(lock, "12345\n");
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await store.put("/second", "2");
    expect(await store.get("/second")).toBe("2");
    expect(await readdir(data())).toEqual(["parameters.json"]);
  });

  it("gives up with an error naming the lock file while a fresh lock stays held", async () => {
    let now = Date.now();
    // Each look at the clock is a second later: the wait ends without waiting.
    const store = new FileParameterStore(data(), { clock: () => (now += 1_000) });
    await store.put("/first", "1");
    await writeFile(join(data(), "parameters.json.lock"), "12345\n");
    await expect(store.put("/second", "2")).rejects.toThrow(/parameters\.json\.lock is held by another writer/);
    expect(await store.get("/second")).toBeUndefined();
  });
});
