/**
 * Edits a TOML document (Codex's config.toml) in place: a table setup owns is replaced whole, a key is
 * set or removed, and every other line — the user's tables, keys and comments — stays as it was.
 * The scanner knows enough TOML to find where each statement starts and ends (multi-line strings and
 * arrays, quoted and dotted keys, array tables); it does not need to know what the values mean.
 */
import { ToolConfigError } from "../cli/errors.js";

/** One statement of the document: lines [first, last] (0-based, inclusive). */
type Statement =
  | { kind: "header"; first: number; last: number; path: string[]; array: boolean }
  | { kind: "pair"; first: number; last: number; path: string[] }
  | { kind: "trivia"; first: number; last: number };

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  i = 0;
  line = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new ToolConfigError(`not valid TOML at line ${this.line + 1}: ${what}`);
  }

  peek(n = 0): string {
    return this.text[this.i + n] ?? "";
  }

  advance(n = 1): void {
    for (let k = 0; k < n && this.i < this.text.length; k++) {
      if (this.text[this.i] === "\n") this.line++;
      this.i++;
    }
  }

  /** Spaces and tabs only. */
  blanks(): void {
    while (this.peek() === " " || this.peek() === "\t") this.advance();
  }

  /** To the end of the line: what may follow a statement (a comment); anything else is an error. */
  endOfLine(): void {
    this.blanks();
    if (this.peek() === "#") while (this.i < this.text.length && this.peek() !== "\n") this.advance();
    if (this.peek() === "\r") this.advance();
    if (this.i < this.text.length && this.peek() !== "\n") this.fail(`unexpected ${JSON.stringify(this.peek())}`);
    this.advance();
  }

  /** A string of any of TOML's four kinds; its text is not needed. */
  skipString(): void {
    const quote = this.peek();
    if (this.text.startsWith(quote.repeat(3), this.i)) {
      this.advance(3);
      const end = this.text.indexOf(quote.repeat(3), this.i);
      if (end === -1) this.fail("a multi-line string that never ends");
      let close = end;
      // Up to two more quotes may end the content (`""""` closes after one content quote).
      while (this.text[close + 3] === quote && close - end < 2) close++;
      this.advance(close + 3 - this.i);
      return;
    }
    this.advance();
    while (this.i < this.text.length && this.peek() !== quote) {
      if (this.peek() === "\n") this.fail("a string that never ends on its line");
      this.advance(quote === '"' && this.peek() === "\\" ? 2 : 1);
    }
    this.advance();
  }

  /** A key (`a`, `"a.b"`, `a . 'b'`) as its parts. */
  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.blanks();
      const start = this.i;
      if (this.peek() === '"') {
        this.skipString();
        parts.push(JSON.parse(this.text.slice(start, this.i)) as string);
      } else if (this.peek() === "'") {
        this.skipString();
        parts.push(this.text.slice(start + 1, this.i - 1));
      } else {
        while (BARE_KEY.test(this.peek())) this.advance();
        if (this.i === start) this.fail("expected a key");
        parts.push(this.text.slice(start, this.i));
      }
      this.blanks();
      if (this.peek() !== ".") return parts;
      this.advance();
    }
  }

  /** A value, however many lines it spans (arrays and inline tables nest; comments may sit inside arrays). */
  skipValue(): void {
    this.blanks();
    let depth = 0;
    for (;;) {
      const c = this.peek();
      if (c === "") {
        if (depth > 0) this.fail("an array or inline table that never ends");
        return;
      }
      if (c === '"' || c === "'") this.skipString();
      else if (c === "[" || c === "{") {
        depth++;
        this.advance();
      } else if (c === "]" || c === "}") {
        depth--;
        this.advance();
        if (depth < 0) this.fail(`unexpected ${c}`);
      } else if (c === "#" || c === "\n" || c === "\r") {
        if (depth === 0) return;
        if (c === "#") while (this.i < this.text.length && this.peek() !== "\n") this.advance();
        else this.advance();
      } else this.advance();
    }
  }

  statements(): Statement[] {
    const out: Statement[] = [];
    while (this.i < this.text.length) {
      const first = this.line;
      this.blanks();
      const c = this.peek();
      if (c === "#" || c === "\n" || c === "\r" || c === "") {
        this.endOfLine();
        out.push({ kind: "trivia", first, last: first });
      } else if (c === "[") {
        const array = this.peek(1) === "[";
        this.advance(array ? 2 : 1);
        const path = this.key();
        if (this.peek() !== "]" || (array && this.peek(1) !== "]")) this.fail("a table header that is not closed");
        this.advance(array ? 2 : 1);
        this.endOfLine();
        out.push({ kind: "header", first, last: first, path, array });
      } else {
        const path = this.key();
        if (this.peek() !== "=") this.fail(`expected = after ${path.join(".")}`);
        this.advance();
        this.skipValue();
        const last = this.line;
        this.endOfLine();
        out.push({ kind: "pair", first, last, path });
      }
    }
    return out;
  }
}

const startsWith = (path: readonly string[], prefix: readonly string[]): boolean => prefix.every((part, i) => path[i] === part);
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && startsWith(a, b);

/**
 * A TOML basic string: `"` and `\` escaped, and every control character (TOML allows none raw, DEL
 * included) as `\uXXXX`; a lone surrogate, which no TOML file may hold, becomes U+FFFD.
 */
export function tomlString(value: string): string {
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\ufffd";
    else out += char;
  }
  return `"${out}"`;
}

/** A key as TOML writes it: bare when it can be. */
const tomlKey = (part: string): string => (/^[A-Za-z0-9_-]+$/.test(part) ? part : tomlString(part));

const isTable = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A scalar or an array of scalars. */
function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  throw new Error(`no TOML form for ${JSON.stringify(value)}`);
}

/** `[path]` with its keys, then each sub-table as `[path.sub]`. */
function tableLines(path: readonly string[], table: Record<string, unknown>): string[] {
  const lines = [`[${path.map(tomlKey).join(".")}]`];
  const subTables: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined) continue;
    if (isTable(value)) subTables.push(key);
    else lines.push(`${tomlKey(key)} = ${tomlValue(value)}`);
  }
  for (const key of subTables) lines.push("", ...tableLines([...path, key], table[key] as Record<string, unknown>));
  return lines;
}

/** The table each statement sits in: the last header before it (the root for none). */
function tablesOf(statements: readonly Statement[]): string[][] {
  let table: string[] = [];
  return statements.map((s) => {
    if (s.kind === "header") table = s.path;
    return table;
  });
}

/**
 * Lines to drop: every definition under `path` (its sections, sub-tables, dotted keys and inline tables
 * elsewhere), and the line of its first section, where a replacement goes (a table written among
 * another table's keys would take the keys after it).
 */
function definitionsOf(statements: readonly Statement[], path: readonly string[]): { drop: Set<number>; at: number | undefined } {
  const tables = tablesOf(statements);
  const drop = new Set<number>();
  let at: number | undefined;
  let inside = false;
  statements.forEach((s, index) => {
    if (s.kind === "header") inside = startsWith(s.path, path);
    const table = tables[index] as string[];
    const owned = inside || (s.kind === "pair" && startsWith([...table, ...s.path], path));
    if (!owned) return;
    // Comments and blank lines that end a dropped section belong to what follows.
    if (s.kind === "trivia" && inside && !ownedUpTo(statements, index, path)) return;
    if (s.kind === "header") at ??= s.first;
    for (let line = s.first; line <= s.last; line++) drop.add(line);
  });
  return { drop, at };
}

/** Whether the section `index` sits in goes on owned after it (a later statement before the next header is still its). */
function ownedUpTo(statements: readonly Statement[], index: number, path: readonly string[]): boolean {
  for (let k = index + 1; k < statements.length; k++) {
    const next = statements[k] as Statement;
    if (next.kind === "pair") return true;
    if (next.kind === "header") return startsWith(next.path, path);
  }
  return false;
}

/**
 * The text with the table at `path` replaced by `value` (a table: its keys and sub-tables), a key set
 * to `value` (a scalar or an array), or whatever is at `path` removed when `value` is undefined. A
 * replaced table or key keeps its place; a new key goes after the last key of its table, a new table at
 * the end. Nothing else changes.
 */
export function setTomlEntry(text: string, path: readonly string[], value: unknown): string {
  const lines = text.split("\n");
  const statements = new Scanner(text).statements();
  const tables = tablesOf(statements);
  // A table on the way that is a key (a value, or an inline table, which cannot be extended) is the user's to resolve.
  statements.forEach((s, index) => {
    const full = s.kind === "pair" ? [...(tables[index] as string[]), ...s.path] : undefined;
    if (full !== undefined && full.length < path.length && startsWith(path, full)) {
      throw new ToolConfigError(`${full.join(".")} is set as a value at line ${s.first + 1}, so ${path.join(".")} cannot be written in it`);
    }
  });
  // A value where a table is replaces the table, as a table replaces a value.
  if (!isTable(value) && value !== undefined && statements.some((s) => s.kind === "header" && startsWith(s.path, path))) {
    return setTomlEntry(setTomlEntry(text, path, undefined), path, value);
  }
  if (isTable(value) || value === undefined) {
    const { drop, at } = definitionsOf(statements, path);
    const kept = (from: number, to: number): string[] => lines.slice(from, to).filter((_, k) => !drop.has(from + k));
    if (value === undefined) {
      // The table a removed one was the only definition of stays, empty: `[a.b]` alone also made `a`.
      const parent = emptiedParent(statements, kept(0, lines.length).join("\n"), path);
      if (parent === undefined) return kept(0, lines.length).join("\n");
      const header = `[${parent.map(tomlKey).join(".")}]`;
      if (at !== undefined) return [...kept(0, at), header, ...kept(at, lines.length)].join("\n");
      return appendSection(kept(0, lines.length), [header]);
    }
    const table = tableLines(path, value);
    if (at !== undefined) return [...kept(0, at), ...table, ...kept(at, lines.length)].join("\n");
    return appendSection(kept(0, lines.length), table);
  }
  const table = path.slice(0, -1);
  const key = path.slice(-1);
  const line = `${key.map(tomlKey).join(".")} = ${tomlValue(value)}`;
  const existing = statements.findIndex((s, index) => s.kind === "pair" && same([...(tables[index] as string[]), ...s.path], path));
  if (existing !== -1) {
    const s = statements[existing] as Statement;
    const indent = /^[ \t]*/.exec(lines[s.first] ?? "")?.[0] ?? "";
    return [...lines.slice(0, s.first), `${indent}${line}`, ...lines.slice(s.last + 1)].join("\n");
  }
  // After the table's last key; the root's keys come before the first header.
  const inTable = statements.filter((s, index) => s.kind === "pair" && same(tables[index] as string[], table));
  const header = statements.find((s) => s.kind === "header" && same(s.path, table) && !s.array);
  const after = inTable.at(-1)?.last ?? header?.last;
  if (after !== undefined) return [...lines.slice(0, after + 1), line, ...lines.slice(after + 1)].join("\n");
  if (table.length > 0) return appendSection(lines, [`[${table.map(tomlKey).join(".")}]`, line]);
  const firstHeader = statements.find((s) => s.kind === "header");
  if (firstHeader === undefined) return appendSection(lines, [line], false);
  // Before the first header and the comment lines right above it, with a blank line between.
  let before = firstHeader.first;
  while (before > 0 && /^\s*#/.test(lines[before - 1] ?? "")) before--;
  return [...lines.slice(0, before), line, "", ...lines.slice(before)].join("\n");
}

/** Whether `statements` define the table at `path`: a header at or under it, or a key under it. */
function defines(statements: readonly Statement[], path: readonly string[]): boolean {
  const tables = tablesOf(statements);
  return statements.some((s, index) => (s.kind === "header" && startsWith(s.path, path)) || (s.kind === "pair" && startsWith([...(tables[index] as string[]), ...s.path], path)));
}

/** The deepest table above `path` that the document defined only through it, and that `edited` no longer defines. */
function emptiedParent(statements: readonly Statement[], edited: string, path: readonly string[]): string[] | undefined {
  const after = new Scanner(edited).statements();
  for (let length = path.length - 1; length >= 1; length--) {
    const parent = path.slice(0, length);
    if (defines(statements, parent) && !defines(after, parent)) return parent;
  }
  return undefined;
}

/** `section` at the end of the document, a blank line before it (unless `separate` is false), the file ending in a newline. */
function appendSection(lines: string[], section: string[], separate = true): string {
  const body = [...lines];
  while (body.length > 0 && body.at(-1)?.trim() === "") body.pop();
  const gap = body.length > 0 && separate ? [""] : [];
  return [...body, ...gap, ...section, ""].join("\n");
}
