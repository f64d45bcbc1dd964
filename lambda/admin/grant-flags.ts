import { TOKEN_MIN_TTL_SECONDS } from "../config.js";
import { UsageError } from "../errors.js";
import { MAX_MINTS_PER_DAY, modelsProblem, type Grant, type RateLimit } from "../grants/index.js";
import { MANTLE_REGIONS } from "../regions.js";
import type { Options } from "./command.js";
import { commaList, parseSeconds } from "./flags.js";

/** The flags that set a grant's fields (SPEC §12), for every command that writes a grant. */
export const GRANT_FLAGS = ["regions", "max-ttl", "rate-limit", "models", "all-models", "mints-per-day", "no-quota"] as const;

/**
 * The grant fields the flags set; a field whose flag is absent is absent (`--all-models` and
 * `--no-quota` say "the default", which for a new grant is the absence). Every value is checked here,
 * so a bad one is one line naming its flag (exit 2) and nothing is written.
 */
export function grantFromFlags(options: Options): Partial<Grant> {
  exclusive(options, "models", "all-models");
  exclusive(options, "mints-per-day", "no-quota");
  const grant: Partial<Grant> = {};
  if (options.regions !== undefined) grant.regions = parseRegionList(options.regions);
  if (options["max-ttl"] !== undefined) grant.maxTtlSeconds = parseMaxTtl(options["max-ttl"]);
  if (options["rate-limit"] !== undefined) grant.rateLimit = parseRateLimit(options["rate-limit"]);
  if (options.models !== undefined) grant.models = parseModels(options.models);
  if (options["mints-per-day"] !== undefined) grant.mintsPerDay = parseMintsPerDay(options["mints-per-day"]);
  return grant;
}

/** A grant with the flags applied: what they set replaces, `--all-models` and `--no-quota` remove. */
export function updateGrant(current: Grant, options: Options): Grant {
  const { models, mintsPerDay, ...rest } = { ...current, ...grantFromFlags(options) };
  return {
    ...rest,
    ...(models === undefined || options["all-models"] ? {} : { models }),
    ...(mintsPerDay === undefined || options["no-quota"] ? {} : { mintsPerDay }),
  };
}

/** Whether any grant flag was given (an update that changes nothing is a mistake). */
export function grantFlagsGiven(options: Options): boolean {
  return GRANT_FLAGS.some((flag) => options[flag] !== undefined);
}

function exclusive(options: Options, a: (typeof GRANT_FLAGS)[number], b: (typeof GRANT_FLAGS)[number]): void {
  if (options[a] !== undefined && options[b] !== undefined) throw new UsageError(`--${a} and --${b} exclude each other`);
}

/** A grant as `show` commands print it: one [label, value] row per field. */
export function grantRows(grant: Grant): Array<[string, string]> {
  return [
    ["regions", grant.regions.join(",")],
    ["max ttl", `${grant.maxTtlSeconds} s`],
    ["rate limit", grant.rateLimit ? `${grant.rateLimit.perSecond}/s, burst ${grant.rateLimit.burst}` : "service default"],
    ["models", grant.models?.join(",") ?? "all"],
    ["mints per day", grant.mintsPerDay === undefined ? "no quota" : String(grant.mintsPerDay)],
  ];
}

/** "10/100" → 10 requests/s sustained, bursts of 100. */
function parseRateLimit(value: string): RateLimit {
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value.trim());
  const perSecond = Number(match?.[1]);
  const burst = Number(match?.[2]);
  if (match === null || !(perSecond > 0) || !Number.isSafeInteger(burst) || burst < 1) {
    throw new UsageError(`--rate-limit takes <per second>/<burst>, e.g. 10/100, got "${value}"`);
  }
  return { perSecond, burst };
}

/** Mantle's regions (or `*`): a region Mantle does not serve would grant nothing. */
function parseRegionList(value: string): string[] {
  const regions = commaList(value);
  if (regions.length === 0 || regions.some((r) => r !== "*" && !MANTLE_REGIONS.includes(r))) {
    throw new UsageError(`--regions takes a comma-separated list of Mantle regions (${MANTLE_REGIONS.join(", ")}) or *, got "${value}"`);
  }
  return regions;
}

function parseMaxTtl(value: string): number {
  const seconds = parseSeconds(value, "--max-ttl");
  if (seconds < TOKEN_MIN_TTL_SECONDS) throw new UsageError(`--max-ttl must be at least ${TOKEN_MIN_TTL_SECONDS} s (tokens live that long at least), got "${value}"`);
  return seconds;
}

function parseModels(value: string): string[] {
  const models = [...new Set(commaList(value))];
  const problem = modelsProblem(models);
  if (problem !== undefined) throw new UsageError(`--models ${problem}`);
  return models;
}

function parseMintsPerDay(value: string): number {
  const mints = /^\d{1,10}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(mints) || mints < 1 || mints > MAX_MINTS_PER_DAY) {
    throw new UsageError(`--mints-per-day takes a whole number of tokens from 1 to ${MAX_MINTS_PER_DAY}, got "${value}"`);
  }
  return mints;
}
