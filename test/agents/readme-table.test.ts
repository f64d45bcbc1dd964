/**
 * README's integration table names the tool versions the agents suite proves (test/agents/pins.ts)
 * and the exact setup command of every tool `mantle-vend setup` knows: it cannot drift from either.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SETUP_TOOLS } from "../../client/src/setup/index.js";
import { ROOT } from "../support/client-support.js";
import { PINS } from "./pins.js";

const HEADING = "## Coding agents and gateways";

/** The rows of the first table under the heading, as trimmed cells. */
function integrationTable(readme: string): string[][] {
  const start = readme.indexOf(`\n${HEADING}\n`);
  if (start === -1) return [];
  const lines = readme.slice(start + HEADING.length + 2).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
  }
  // Header and separator.
  return rows.slice(2);
}

describe("README's integration table matches the agents suite's pinned versions and the setup tools", () => {
  const rows = integrationTable(readFileSync(join(ROOT, "README.md"), "utf8"));
  const tested = Object.values(PINS).filter((pin) => pin.tool !== undefined);

  it("has one row per tested tool, no more", () => {
    expect(rows.map((r) => r[0])).toEqual(tested.map((pin) => pin.label));
  });

  it("each row's version is the one the suite installs, and its command is that tool's `mantle-vend setup`", () => {
    for (const pin of tested) {
      const row = rows.find((r) => r[0] === pin.label);
      expect(row?.[1], pin.label).toBe(pin.version);
      expect(row?.[4], pin.label).toContain(`mantle-vend setup ${pin.tool}`);
    }
  });

  it("every tool `mantle-vend setup` knows is proven by the suite", () => {
    expect(tested.map((pin) => pin.tool).sort()).toEqual(SETUP_TOOLS.map((t) => t.name).sort());
  });
});
