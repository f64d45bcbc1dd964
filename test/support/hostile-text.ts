/**
 * Text a shell, a TOML or JSON string or a terminal would read as more than one word: none of it is a
 * Mantle id. The override-id tests refuse it; the setup tests quote it.
 */
export const HOSTILE_IDS: readonly string[] = [
  "$(touch${IFS}/tmp/x)",
  "`touch /tmp/x`",
  "a;rm -rf ~",
  "a b",
  "a'b",
  'a"b',
  "a\\b",
  "a\nb",
  "a\rb",
  "a|b",
  "a&b",
  "a>b",
  "a/../b",
  "a#b",
  "a=b",
  "a,b",
  "a\u001b[31mb",
  "a\u007fb",
  "a\u202eb",
  "é.model",
];
