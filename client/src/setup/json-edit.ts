/**
 * Edits a JSON document in place: one member is set, added or removed and every other byte stays as it
 * was (the user's order, spacing, comments). Reads what the tools' config files are written in: JSON,
 * JSONC (opencode) and the JSON5 OpenClaw reads (comments, trailing commas, unquoted keys, single quotes).
 */
import { ToolConfigError } from "../cli/errors.js";

/** A value's span in the text; an object's members too. */
interface ObjectValue {
  kind: "object";
  start: number;
  end: number;
  members: Member[];
}
type Value = ObjectValue | { kind: "other"; start: number; end: number };

interface Member {
  key: string;
  /** Where its key starts. */
  start: number;
  value: Value;
  /** The comma after its value, if one follows. */
  comma: number | undefined;
}

const IDENTIFIER = /[A-Za-z0-9_$\u0080-\uffff]/;

class Reader {
  i = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    const before = this.text.slice(0, this.i);
    const line = before.split("\n").length;
    const column = this.i - before.lastIndexOf("\n");
    throw new ToolConfigError(`not valid JSON at line ${line}, column ${column}: ${what}`);
  }

  /** Whitespace and comments. */
  trivia(): void {
    const { text } = this;
    for (;;) {
      while (this.i < text.length && /\s/.test(text[this.i] as string)) this.i++;
      if (text.startsWith("//", this.i)) {
        const end = text.indexOf("\n", this.i);
        this.i = end === -1 ? text.length : end;
      } else if (text.startsWith("/*", this.i)) {
        const end = text.indexOf("*/", this.i + 2);
        if (end === -1) this.fail("a comment that never ends");
        this.i = end + 2;
      } else return;
    }
  }

  /** A quoted string from its opening quote; its decoded value. */
  string(): string {
    const { text } = this;
    const quote = text[this.i];
    const start = this.i++;
    while (this.i < text.length && text[this.i] !== quote) this.i += text[this.i] === "\\" ? 2 : 1;
    if (this.i >= text.length) this.fail("a string that never ends");
    this.i++;
    const raw = text.slice(start, this.i);
    try {
      return quote === '"' ? (JSON.parse(raw) as string) : (JSON.parse(`"${raw.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);
    } catch {
      return raw.slice(1, -1);
    }
  }

  value(): Value {
    this.trivia();
    const { text } = this;
    const start = this.i;
    const c = text[this.i];
    if (c === "{") return this.object();
    if (c === "[") {
      this.i++;
      for (this.trivia(); text[this.i] !== "]"; this.trivia()) {
        this.value();
        this.trivia();
        if (text[this.i] === ",") this.i++;
        else if (text[this.i] !== "]") this.fail("expected , or ] in an array");
      }
      this.i++;
      return { kind: "other", start, end: this.i };
    }
    if (c === '"' || c === "'") {
      this.string();
      return { kind: "other", start, end: this.i };
    }
    while (this.i < text.length && !/[\s,{}[\]:]/.test(text[this.i] as string) && !text.startsWith("//", this.i) && !text.startsWith("/*", this.i)) this.i++;
    if (this.i === start) this.fail("expected a value");
    return { kind: "other", start, end: this.i };
  }

  object(): ObjectValue {
    const { text } = this;
    const start = this.i++;
    const members: Member[] = [];
    for (this.trivia(); text[this.i] !== "}"; this.trivia()) {
      if (this.i >= text.length) this.fail("an object that never ends");
      const keyStart = this.i;
      let key: string;
      if (text[this.i] === '"' || text[this.i] === "'") key = this.string();
      else {
        while (this.i < text.length && IDENTIFIER.test(text[this.i] as string)) this.i++;
        if (this.i === keyStart) this.fail("expected a member name");
        key = text.slice(keyStart, this.i);
      }
      this.trivia();
      if (text[this.i] !== ":") this.fail(`expected : after ${JSON.stringify(key)}`);
      this.i++;
      const value = this.value();
      this.trivia();
      let comma: number | undefined;
      if (text[this.i] === ",") comma = this.i++;
      else if (text[this.i] !== "}") this.fail("expected , or } in an object");
      members.push({ key, start: keyStart, value, comma });
    }
    this.i++;
    return { kind: "object", start, end: this.i, members };
  }
}

/** The document's top-level object (an empty or blank text is an empty object). */
function parseDocument(text: string): ObjectValue {
  const reader = new Reader(text);
  reader.trivia();
  if (text[reader.i] !== "{") reader.fail("the document is not an object");
  const root = reader.object();
  reader.trivia();
  if (reader.i !== text.length) reader.fail("text after the document");
  return root;
}

/** The member a name resolves to: the last of its name, as JSON5 and most JSON readers take duplicates. */
const memberOf = (object: ObjectValue, key: string): Member | undefined => object.members.filter((m) => m.key === key).at(-1);

const lineStart = (text: string, i: number): number => text.lastIndexOf("\n", i - 1) + 1;
const indentAt = (text: string, i: number): string => /^[ \t]*/.exec(text.slice(lineStart(text, i)))?.[0] ?? "";

/** The document's indentation step: the smallest indent of a line that has one, else two spaces. */
function indentUnit(text: string): string {
  const indents = [...text.matchAll(/\n([ \t]+)\S/g)].map((m) => m[1] as string);
  if (indents.length === 0) return "  ";
  return indents.reduce((a, b) => (b.length < a.length ? b : a));
}

/**
 * Whether what goes into `object` is laid out on lines of its own: as the object is, or for an empty one
 * as the document is (the empty document of a new file is laid out on lines).
 */
function layoutOf(text: string, object: ObjectValue): boolean {
  if (object.members.length > 0) return text.slice(object.start, object.end).includes("\n");
  return object.start === text.indexOf("{") || text.trim().includes("\n");
}

function render(value: unknown, indent: string, unit: string, multiline: boolean): string {
  return multiline ? JSON.stringify(value, null, unit).replace(/\n/g, `\n${indent}`) : JSON.stringify(value);
}

/** `{"a": {"b": v}}` for path a.b: what a member that does not exist yet holds. */
const nested = (path: readonly string[], value: unknown): unknown => path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);

function replace(text: string, start: number, end: number, by: string): string {
  return `${text.slice(0, start)}${by}${text.slice(end)}`;
}

function insertMember(text: string, object: ObjectValue, key: string, value: unknown): string {
  const unit = indentUnit(text);
  const own = indentAt(text, object.start);
  const last = object.members.at(-1);
  const multiline = layoutOf(text, object);
  if (last === undefined) {
    if (!multiline) return replace(text, object.start, object.end, `{${JSON.stringify(key)}: ${render(value, "", unit, false)}}`);
    const child = `${own}${unit}`;
    return replace(text, object.start, object.end, `{\n${child}${JSON.stringify(key)}: ${render(value, child, unit, true)}\n${own}}`);
  }
  const child = text.slice(object.start, last.start).includes("\n") ? indentAt(text, last.start) : `${own}${unit}`;
  const member = `${JSON.stringify(key)}: ${render(value, child, unit, multiline)}`;
  // After whatever trails the last member (a comment), before the closing brace's own line.
  let at = object.end - 1;
  while (at > last.value.end && /\s/.test(text[at - 1] as string)) at--;
  const trailing = last.comma !== undefined;
  const added = multiline ? `\n${child}${member}${trailing ? "," : ""}` : trailing ? ` ${member},` : `, ${member}`;
  const withMember = replace(text, at, at, added);
  return trailing || !multiline ? withMember : replace(withMember, last.value.end, last.value.end, ",");
}

function removeMember(text: string, object: ObjectValue, member: Member): string {
  const index = object.members.indexOf(member);
  let start = member.start;
  let end = member.comma === undefined ? member.value.end : member.comma + 1;
  // A member alone on its line takes the line with it, and the comment that ends it.
  const ls = lineStart(text, start);
  if (/^[ \t]*$/.test(text.slice(ls, start))) {
    const rest = /^[ \t]*(\/\/[^\n]*)?\n/.exec(text.slice(end));
    if (rest !== null) {
      start = ls;
      end += rest[0].length;
    }
  }
  let out = replace(text, start, end, "");
  // The new last member keeps no comma a strict JSON reader would refuse.
  const previous = object.members[index - 1];
  if (member.comma === undefined && previous?.comma !== undefined && index === object.members.length - 1) out = replace(out, previous.comma, previous.comma + 1, "");
  return out;
}

/**
 * The text with the member at `path` set to `value` (added, with the objects on its way, when absent),
 * or removed when `value` is undefined. Only that member's text changes; a value on the way that is not
 * an object is a conflict the user must resolve.
 */
export function setJsonMember(text: string, path: readonly string[], value: unknown): string {
  let object = parseDocument(text);
  for (let depth = 0; depth < path.length - 1; depth++) {
    const key = path[depth] as string;
    const member = memberOf(object, key);
    if (member === undefined) return value === undefined ? text : insertMember(text, object, key, nested(path.slice(depth + 1), value));
    if (member.value.kind !== "object") throw new ToolConfigError(`${path.slice(0, depth + 1).join(".")} is not an object, so ${path.join(".")} cannot be set in it`);
    object = member.value;
  }
  const key = path.at(-1) as string;
  const member = memberOf(object, key);
  if (value === undefined) return member === undefined ? text : removeMember(text, object, member);
  if (member === undefined) return insertMember(text, object, key, value);
  return replace(text, member.value.start, member.value.end, render(value, indentAt(text, member.start), indentUnit(text), layoutOf(text, object)));
}
