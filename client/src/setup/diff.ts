/** A unified diff of two texts, as `diff -u` prints it, for what `setup --write` changes. */

const CONTEXT = 3;
/** Beyond this many changed lines (after the common start and end) the middle is shown as replaced whole. */
const MAX_CELLS = 4_000_000;

type Op = { kind: " " | "-" | "+"; line: string };

/** The edit script of the middles: a longest common subsequence, or all removed then all added when too large. */
function script(a: readonly string[], b: readonly string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((line): Op => ({ kind: "-", line })), ...b.map((line): Op => ({ kind: "+", line }))];
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? (lcs[(i + 1) * width + j + 1] as number) + 1 : Math.max(lcs[(i + 1) * width + j] as number, lcs[i * width + j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i++] as string });
      j++;
    } else if (j < b.length && (i === a.length || (lcs[i * width + j + 1] as number) >= (lcs[(i + 1) * width + j] as number))) ops.push({ kind: "+", line: b[j++] as string });
    else ops.push({ kind: "-", line: a[i++] as string });
  }
  return ops;
}

/** `--- label`/`+++ label` and the hunks of changes with three lines of context; "" when the texts are equal. */
export function unifiedDiff(before: string, after: string, label: string): string {
  if (before === after) return "";
  const a = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const b = after === "" ? [] : after.replace(/\n$/, "").split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const ops: Op[] = [
    ...a.slice(0, start).map((line): Op => ({ kind: " ", line })),
    ...script(a.slice(start, a.length - end), b.slice(start, b.length - end)),
    ...a.slice(a.length - end).map((line): Op => ({ kind: " ", line })),
  ];
  const changed = ops.flatMap((op, index) => (op.kind === " " ? [] : [index]));
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const from = Math.max(0, index - CONTEXT);
    const to = Math.min(ops.length, index + CONTEXT + 1);
    const last = hunks.at(-1);
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  }
  const out = [`--- ${before === "" ? "/dev/null" : label}`, `+++ ${label}`];
  for (const [from, to] of hunks) {
    const lineOf = (side: "-" | "+"): number => ops.slice(0, from).filter((op) => op.kind === " " || op.kind === side).length;
    const count = (side: "-" | "+"): number => ops.slice(from, to).filter((op) => op.kind === " " || op.kind === side).length;
    const range = (side: "-" | "+"): string => {
      const n = count(side);
      return `${n === 0 ? lineOf(side) : lineOf(side) + 1},${n}`;
    };
    out.push(`@@ -${range("-")} +${range("+")} @@`, ...ops.slice(from, to).map((op) => `${op.kind}${op.line}`));
  }
  return `${out.join("\n")}\n`;
}
