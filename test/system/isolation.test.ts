// The suites run the real tools (npm, npx, cdk, the CLIs) as a user would, and those write under ~.
// A run gives them a temporary HOME of its own (test/support/global-setup.ts), so nothing a test
// starts writes into the user's home.
import { execFileSync } from "node:child_process";
import { homedir, tmpdir } from "node:os";
import { join, sep } from "node:path";
import { describe, expect, inject, it } from "vitest";

describe("a test run writes under a temporary HOME of its own, never the user's", () => {
  const home = inject("runHome");

  it("the suites' HOME is the run's temporary directory", () => {
    expect(home.startsWith(join(tmpdir(), "mantle-vend-test-home-"))).toBe(true);
    expect(homedir()).toBe(home);
    expect(process.env["XDG_CACHE_HOME"]).toBeUndefined();
  });

  it("a process a test starts inherits it: npm's cache and logs go there", () => {
    const cache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
    expect(cache.startsWith(`${home}${sep}`)).toBe(true);
  });
});
