/** An API key's secret (`mvk_<keyId>_<secret>`; base64url, so it may hold `_` itself), or the whole of any other text. */
export function keySecret(key: string): string {
  return /^mvk_[0-9a-f]{16}_(.+)$/.exec(key)?.[1] ?? key;
}
