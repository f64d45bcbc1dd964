/** `'…'` with embedded single quotes escaped, for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Whether a word is made only of characters no shell, TOML comment or sentence treats specially. */
export function isPlainWord(value: string): boolean {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value);
}

/** {@link shellQuote}, but plain words ({@link isPlainWord}) stay bare. */
export function shellWord(value: string): string {
  return isPlainWord(value) ? value : shellQuote(value);
}
