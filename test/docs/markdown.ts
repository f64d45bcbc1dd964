/** One fenced code block of a markdown file, named by where it stands. */
export interface CodeBlock {
  /** e.g. `README.md › Try it with curl #1`: the file, the nearest heading above, the block's place under it. */
  id: string;
  /** The fence's info string: `sh`, `ts`, `json`, or "" */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced blocks of `markdown` in document order (``` fences, as the project's docs use them). */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const perHeading = new Map<string, number>();
  let heading = "(top)";
  let open: { lang: string; line: number; lines: string[] } | undefined;
  markdown.split("\n").forEach((text, index) => {
    const fence = /^```\s*([\w-]*)\s*$/.exec(text);
    if (open !== undefined) {
      if (fence !== null && fence[1] === "") {
        const n = (perHeading.get(heading) ?? 0) + 1;
        perHeading.set(heading, n);
        blocks.push({ id: `${file} › ${heading} #${n}`, lang: open.lang, code: open.lines.join("\n"), line: open.line });
        open = undefined;
      } else {
        open.lines.push(text);
      }
      return;
    }
    if (fence !== null) {
      open = { lang: fence[1] ?? "", line: index + 1, lines: [] };
      return;
    }
    const title = /^#{1,6}\s+(.+?)\s*$/.exec(text);
    if (title !== null) heading = (title[1] ?? "").replace(/`/g, "");
  });
  if (open !== undefined) throw new Error(`${file}:${open.line}: a code fence is never closed`);
  return blocks;
}
