/**
 * The editors behind `setup --write`, held to what they promise with generated documents: the entry
 * set is there, everything else means what it meant, a second edit changes nothing; and the unified
 * diff, applied, gives the new text.
 */
import fc from "fast-check";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { ToolConfigError } from "../../../client/src/cli/errors.js";
import { unifiedDiff } from "../../../client/src/setup/diff.js";
import { setDotenvVariable } from "../../../client/src/setup/dotenv-edit.js";
import { setJsonMember } from "../../../client/src/setup/json-edit.js";
import { setTomlEntry } from "../../../client/src/setup/toml-edit.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** What setting `path` to `value` means, on a plain object; "conflict" when something on the way is not an object. */
function expected(doc: Json, path: readonly string[], value: unknown): Json | "conflict" {
  const copy = structuredClone(doc);
  let node: Json = copy;
  for (const key of path.slice(0, -1)) {
    if (!(key in node)) {
      if (value === undefined) return copy;
      node[key] = {};
    }
    const next = node[key];
    if (!isObject(next)) return "conflict";
    node = next;
  }
  const last = path.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const keys = fc.constantFrom("env", "model", "provider", "a", "b", "mantle-vend", "x y", "ünï");
const jsonDoc = fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }) as fc.Arbitrary<Json>;
const path = fc.array(keys, { minLength: 1, maxLength: 3 });
const entryValue = fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined });
const layout = fc.constantFrom<string | number>(0, 2, 4, "\t");

describe("setJsonMember: the member at the path is set, added or removed; the rest of the document means what it did", () => {
  it("on generated documents in every layout, and a second edit changes nothing", () => {
    fc.assert(
      fc.property(jsonDoc, path, entryValue, layout, (doc, at, value, indent) => {
        const text = `${JSON.stringify(doc, null, indent)}\n`;
        const want = expected(doc, at, value);
        if (want === "conflict") {
          expect(() => setJsonMember(text, at, value)).toThrow(ToolConfigError);
          return;
        }
        const edited = setJsonMember(text, at, value);
        expect(JSON.parse(edited)).toEqual(JSON.parse(JSON.stringify(want)));
        expect(setJsonMember(edited, at, value)).toBe(edited);
      }),
      { numRuns: 400 },
    );
  });

  it("keeps comments, trailing commas, unquoted keys and single quotes (JSONC, JSON5) and the other members' text", () => {
    const text = `// head\n{\n  a: 'x', // first\n  /* block */ "b": [1, 2,],\n  "c": { "d": true, },\n}\n`;
    const edited = setJsonMember(setJsonMember(text, ["c", "e"], 1), ["f"], { g: "h" });
    expect(edited).toBe(`// head\n{\n  a: 'x', // first\n  /* block */ "b": [1, 2,],\n  "c": { "d": true, "e": 1, },\n  "f": {\n    "g": "h"\n  },\n}\n`);
    expect(setJsonMember(edited, ["a"], undefined)).toBe(`// head\n{\n  /* block */ "b": [1, 2,],\n  "c": { "d": true, "e": 1, },\n  "f": {\n    "g": "h"\n  },\n}\n`);
  });

  it("refuses what is not a JSON object document, naming the line", () => {
    expect(() => setJsonMember("[1]", ["a"], 1)).toThrow("not valid JSON at line 1, column 1: the document is not an object");
    expect(() => setJsonMember('{\n  "a": 1\n  "b": 2\n}', ["a"], 1)).toThrow(/^not valid JSON at line 3/);
  });
});

const tomlKeys = fc.constantFrom("model", "model_providers", "profiles", "mantle-vend", "ollama", "tui", "features", "name");
const tomlScalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean(), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }));
const tomlTable: fc.Arbitrary<Json> = fc.letrec((tie) => ({ table: fc.dictionary(tomlKeys, fc.oneof({ depthSize: "small" }, tomlScalar, tie("table")), { maxKeys: 4 }) })).table as fc.Arbitrary<Json>;

describe("setTomlEntry: a table is replaced whole, a key set or removed; the other tables, keys and comments stay", () => {
  it("on generated documents, comments above and below kept", () => {
    fc.assert(
      fc.property(tomlTable, fc.array(tomlKeys, { minLength: 1, maxLength: 3 }), fc.option(fc.oneof(tomlScalar, tomlTable), { nil: undefined }), fc.array(fc.nat(), { maxLength: 4 }), (doc, at, value, commentAt) => {
        const lines = stringifyToml(doc).split("\n");
        // Comments inside a replaced table go with it (an example below holds the ones between tables).
        for (const n of commentAt) lines.splice(n % 2 === 0 ? 0 : lines.length, 0, `# comment ${n}`);
        const text = lines.join("\n");
        const want = expected(doc, at, value);
        if (want === "conflict") return;
        let edited: string;
        try {
          edited = setTomlEntry(text, at, value);
        } catch (error) {
          // A key where a table is wanted (or the reverse) is the user's to resolve, as in JSON.
          expect(error).toBeInstanceOf(Error);
          return;
        }
        const parsed = parseToml(edited);
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(JSON.parse(JSON.stringify(want)));
        for (const n of commentAt) expect(edited).toContain(`# comment ${n}`);
        expect(setTomlEntry(edited, at, value)).toBe(edited);
      }),
      { numRuns: 400 },
    );
  });

  it("removing the only table under a parent keeps the parent, empty: [a.b] alone made a too", () => {
    const removed = setTomlEntry("# mine\n[profiles.mantle-vend]\nmodel = \"x\"\n", ["profiles", "mantle-vend"], undefined);
    expect(parseToml(removed)).toEqual({ profiles: {} });
    expect(removed).toContain("# mine");
    const shared = "[model_providers.ollama]\nx = 1\n\n[model_providers.mantle-vend]\ny = 2\n";
    expect(parseToml(setTomlEntry(shared, ["model_providers", "mantle-vend"], undefined))).toEqual({ model_providers: { ollama: { x: 1 } } });
  });

  it("a table defined inline or by dotted keys elsewhere is replaced too, and a comment above the next table stays with it", () => {
    const text = `[model_providers]\nmantle-vend = { name = "old" }\nother.name = "o"\n\n# the next one\n[profiles.work]\nmodel = "o3"\n`;
    const edited = setTomlEntry(text, ["model_providers", "mantle-vend"], { name: "new" });
    expect(parseToml(edited)).toEqual({ model_providers: { "mantle-vend": { name: "new" }, other: { name: "o" } }, profiles: { work: { model: "o3" } } });
    expect(edited).toContain("# the next one\n[profiles.work]");
  });

  it("refuses what is not TOML, naming the line", () => {
    expect(() => setTomlEntry('a = "b\n[c]\n', ["x"], 1)).toThrow(/^not valid TOML at line 1: a string that never ends/);
  });
});

describe("setDotenvVariable", () => {
  it("replaces the variable's line (keeping `export`), drops repeats, appends a new one; other lines stay", () => {
    const text = `# c\nA=1\nexport KEY=old\nB="multi\nline"\nKEY=again\n`;
    expect(setDotenvVariable(text, "KEY", "new value")).toBe(`# c\nA=1\nexport KEY='new value'\nB="multi\nline"\n`);
    expect(setDotenvVariable(text, "C", "http://x/v1")).toBe(`${text}C=http://x/v1\n`);
    expect(setDotenvVariable(text, "B", undefined)).toBe(`# c\nA=1\nexport KEY=old\nKEY=again\n`);
  });
});

/** Applies a unified diff to `before`, hunk by hunk, checking every context and removed line. */
function applyDiff(before: string, diff: string): string {
  const old = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let at = 0;
  const lines = diff.replace(/\n$/, "").split("\n").slice(2);
  for (let i = 0; i < lines.length; i++) {
    const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(lines[i] as string);
    if (header === null) throw new Error(`not a hunk header: ${lines[i]}`);
    const start = Number(header[2]) === 0 ? Number(header[1]) : Number(header[1]) - 1;
    out.push(...old.slice(at, start));
    at = start;
    for (; i + 1 < lines.length && !(lines[i + 1] as string).startsWith("@@"); i++) {
      const line = lines[i + 1] as string;
      if (line.startsWith("+")) out.push(line.slice(1));
      else {
        expect(old[at]).toBe(line.slice(1));
        if (line.startsWith(" ")) out.push(line.slice(1));
        at++;
      }
    }
  }
  out.push(...old.slice(at));
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

describe("unifiedDiff", () => {
  it("applied to the old text gives the new one; equal texts give nothing", () => {
    const lines = fc.array(fc.constantFrom("a", "b", "c", "d", "e", ""), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const before = a.length === 0 ? "" : `${a.join("\n")}\n`;
        const after = b.length === 0 ? "" : `${b.join("\n")}\n`;
        const diff = unifiedDiff(before, after, "f");
        if (before === after) expect(diff).toBe("");
        else expect(applyDiff(before, diff)).toBe(after);
      }),
      { numRuns: 500 },
    );
  });
});
