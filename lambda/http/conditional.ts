/**
 * RFC 9110 §13.1.2 If-None-Match: `*` matches any current representation; otherwise a
 * comma-separated list of entity tags compared weakly (a `W/` prefix on either side is
 * ignored). Entity tags may contain commas, so the list is scanned quote by quote rather
 * than split. A malformed element is skipped, not allowed to poison the others.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const target = etag.trim().replace(/^W\//, "");
  if (!/^"[^"]*"$/.test(target)) return false;
  const header = ifNoneMatch;
  let i = 0;
  while (i < header.length) {
    const c = header[i];
    if (c === " " || c === "\t" || c === ",") {
      i += 1;
      continue;
    }
    if (c === "*") {
      // Only valid alone, but a `*` combined from several header lines means the same.
      const next = nextComma(header, i);
      if (header.slice(i + 1, next).trim() === "") return true;
      i = next;
      continue;
    }
    const open = header.startsWith("W/", i) ? i + 2 : i;
    if (header[open] !== '"') {
      i = nextComma(header, i);
      continue;
    }
    const close = header.indexOf('"', open + 1);
    if (close === -1) return false;
    if (header.slice(open, close + 1) === target) return true;
    i = close + 1;
  }
  return false;
}

function nextComma(text: string, from: number): number {
  const at = text.indexOf(",", from);
  return at === -1 ? text.length : at;
}
