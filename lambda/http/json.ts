/**
 * Whether valid JSON text holds an object with the same name twice. JSON.parse keeps the
 * last silently, so `{"region":"a","region":"b"}` would mean whatever the last writer of a
 * hand-edited body intended; strict parsing refuses it instead. Names are compared after
 * unescaping (`"\u0072egion"` is `"region"`). The text must already have parsed, which
 * guarantees every string closes; the scan is one pass over it.
 */
export function hasDuplicateKeys(text: string): boolean {
  // One entry per open container: the names seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const names = open[open.length - 1];
      if (expectingName && names instanceof Set) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (names.has(name)) return true;
        names.add(name);
        expectingName = false;
      }
      i = end;
    } else if (c === "{") {
      open.push(new Set());
      expectingName = true;
    } else if (c === "[") {
      open.push(null);
      expectingName = false;
    } else if (c === "}" || c === "]") {
      open.pop();
      expectingName = false;
    } else if (c === ",") {
      expectingName = open[open.length - 1] instanceof Set;
    }
  }
  return false;
}
