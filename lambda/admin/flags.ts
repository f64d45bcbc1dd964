import { UsageError } from "../errors.js";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90", "90s", "15m", "12h", "30d" → seconds. */
export function parseSeconds(value: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match === null ? NaN : Number(match[1]) * (UNITS[match[2] || "s"] as number);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new UsageError(`${flag} takes a duration like 3600, 15m, 12h or 30d`);
  return seconds;
}

/** `--expires-in`'s moment, counted from now; undefined when the flag is not given. */
export function expiresAtFromFlag(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(Date.now() + parseSeconds(value, "--expires-in") * 1000);
}

export function commaList(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

export function wholeNumber(value: string, flag: string): number {
  if (!/^\d{1,12}$/.test(value.trim())) throw new UsageError(`${flag} takes a whole number of tokens, got "${value}"`);
  return Number(value);
}
