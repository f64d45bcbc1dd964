/**
 * Edits a `.env` file in place (the dotenv format aider, LiteLLM, docker compose and python-dotenv
 * read): one variable's line is set, added or removed, every other line and comment stays.
 */

/** `KEY=value`, `export KEY=value`, with spaces around `=`: the variable a line assigns. */
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/** A value as dotenv reads it back: bare when it can be, else single-quoted (no escapes inside), else double-quoted. */
function dotenvValue(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]*$/.test(value)) return value;
  return value.includes("'") ? JSON.stringify(value) : `'${value}'`;
}

/** The lines [first, last] each assignment spans: a double-quoted value may go on over several lines. */
function assignments(lines: readonly string[]): Array<{ name: string; first: number; last: number; exported: boolean }> {
  const out: Array<{ name: string; first: number; last: number; exported: boolean }> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = ASSIGNMENT.exec(line);
    if (match === null) continue;
    const first = i;
    const rest = line.slice(match[0].length).trimStart();
    if (rest.startsWith('"')) {
      // Closed on this line unless the quote is never answered by an unescaped one.
      const closed = (text: string): boolean => /(^|[^\\])(\\\\)*"/.test(text);
      let text = rest.slice(1);
      while (!closed(text) && i + 1 < lines.length) text = lines[++i] as string;
    }
    out.push({ name: match[1] as string, first, last: i, exported: /^\s*export\s/.test(line) });
  }
  return out;
}

/** The text with `name` set to `value` (its first assignment replaced, later ones removed; else appended), or removed when undefined. */
export function setDotenvVariable(text: string, name: string, value: string | undefined): string {
  const lines = text.split("\n");
  const found = assignments(lines).filter((a) => a.name === name);
  const drop = new Set(found.flatMap((a) => Array.from({ length: a.last - a.first + 1 }, (_, k) => a.first + k)));
  const first = found[0];
  const line = value === undefined ? undefined : `${first?.exported === true ? "export " : ""}${name}=${dotenvValue(value)}`;
  const out: string[] = [];
  lines.forEach((text, i) => {
    if (i === first?.first && line !== undefined) out.push(line);
    if (!drop.has(i)) out.push(text);
  });
  if (first !== undefined || line === undefined) return out.join("\n");
  while (out.length > 0 && out.at(-1) === "") out.pop();
  return [...out, line, ""].join("\n");
}
