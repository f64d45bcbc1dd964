import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { editDistance } from "../lambda/edit-distance.js";
import { VendorPropsError, type MantleTokenVendorProps } from "./props.js";

/**
 * `cdk synth` / `cdk deploy` take every MantleTokenVendor prop from CDK context, under the prop's own
 * name: `-c regions=us-east-1,us-west-2 -c perKeyAttribution=true`, or the `context` object of cdk.json.
 * Values from `-c` arrive as strings, those from cdk.json as JSON; both forms are accepted. The props
 * that are objects are given by their parts: `alarmTopic` by its ARN (`-c alarmTopicArn=arn:aws:sns:…`),
 * `login` by `loginIssuer`, `loginClientId` and `loginScopes`.
 */
export const CONTEXT_KEYS = [
  "regions",
  "parameterPrefix",
  "defaultTtl",
  "maxTtl",
  "catalogRefreshInterval",
  "reservedConcurrency",
  "logRetention",
  "perKeyAttribution",
  "logRemovalPolicy",
  "alarmTopicArn",
  "fleetLimits",
  "fleetLimitsFailure",
  "loginIssuer",
  "loginClientId",
  "loginScopes",
] as const satisfies readonly (keyof ContextProps)[];

/** What context can set: every MantleTokenVendor prop, the alarm topic by its ARN, the login provider by its parts. */
export type ContextProps = Omit<MantleTokenVendorProps, "alarmTopic" | "login"> & {
  readonly alarmTopicArn?: string;
  readonly loginIssuer?: string;
  readonly loginClientId?: string;
  readonly loginScopes?: string[];
};

type ContextKey = (typeof CONTEXT_KEYS)[number];

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

function bad(key: string, expected: string, value: unknown): never {
  throw new VendorPropsError(`context "${key}": expected ${expected}; got ${JSON.stringify(value)}`);
}

function duration(key: ContextKey, value: unknown): Duration {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return Duration.seconds(value);
  const match = typeof value === "string" ? /^(\d+)([smhd]?)$/.exec(value.trim()) : null;
  const seconds = match === null ? NaN : Number(match[1]) * (DURATION_UNITS[match[2] || "s"] ?? NaN);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) bad(key, "a duration such as 3600, 90m, 12h or 1d", value);
  return Duration.seconds(seconds);
}

function boolean(key: ContextKey, value: unknown): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return bad(key, "true or false", value);
}

/** A list: comma-separated (or `separator`) in a -c string, a JSON array of strings in cdk.json. */
function list(key: ContextKey, value: unknown, what: { many: string; one: string }, separator: RegExp = /,/): string[] {
  const items = typeof value === "string" ? value.split(separator) : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
    return bad(key, `a comma-separated list of ${what.many} (or a JSON array in cdk.json)`, value);
  }
  const trimmed = items.map((item: string) => item.trim()).filter((item) => item !== "");
  if (trimmed.length === 0) bad(key, `at least one ${what.one}`, value);
  return trimmed;
}

function text(key: ContextKey, value: unknown, expected: string): string {
  return typeof value === "string" ? value : bad(key, expected, value);
}

function positiveInteger(key: ContextKey, value: unknown): number {
  const number = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 1) return bad(key, "a positive integer", value);
  return number;
}

/** A RetentionDays member, by its number of days (30) or its name (ONE_MONTH, INFINITE). */
function retention(value: unknown): RetentionDays {
  const text = typeof value === "string" ? value.trim() : undefined;
  for (const [name, days] of Object.entries(RetentionDays)) {
    // A numeric enum maps both ways; the number-valued entries are the members.
    if (typeof days !== "number") continue;
    if (value === days || text === String(days) || text?.toUpperCase() === name) return days;
  }
  return bad("logRetention", "a CloudWatch retention in days (1, 3, 5, 7, 14, 30, … 3653) or its name (ONE_MONTH, INFINITE, …)", value);
}

const REMOVAL_POLICIES: Record<string, RemovalPolicy> = { retain: RemovalPolicy.RETAIN, destroy: RemovalPolicy.DESTROY };

function removalPolicy(value: unknown): RemovalPolicy {
  const policy = typeof value === "string" ? REMOVAL_POLICIES[value.trim().toLowerCase()] : undefined;
  return policy ?? bad("logRemovalPolicy", "retain or destroy", value);
}

function isContextKey(key: string): key is ContextKey {
  return CONTEXT_KEYS.some((prop) => prop === key);
}

function parse(key: ContextKey, value: unknown): ContextProps {
  switch (key) {
    case "regions":
      return { regions: list(key, value, { many: "regions", one: "region" }) };
    case "parameterPrefix":
      return { parameterPrefix: text(key, value, "a parameter path such as /mantle-vend") };
    case "defaultTtl":
      return { defaultTtl: duration(key, value) };
    case "maxTtl":
      return { maxTtl: duration(key, value) };
    case "catalogRefreshInterval":
      return { catalogRefreshInterval: value === null || value === "off" ? null : duration(key, value) };
    case "reservedConcurrency":
      return { reservedConcurrency: positiveInteger(key, value) };
    case "logRetention":
      return { logRetention: retention(value) };
    case "perKeyAttribution":
      return { perKeyAttribution: boolean(key, value) };
    case "logRemovalPolicy":
      return { logRemovalPolicy: removalPolicy(value) };
    case "fleetLimits":
      return { fleetLimits: boolean(key, value) };
    case "fleetLimitsFailure":
      return { fleetLimitsFailure: value === "open" || value === "closed" ? value : bad(key, "open or closed", value) };
    case "alarmTopicArn":
      return { alarmTopicArn: typeof value === "string" && /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(value) ? value : bad(key, "an SNS topic ARN", value) };
    case "loginIssuer":
      return { loginIssuer: text(key, value, "the login provider's issuer URL (https)") };
    case "loginClientId":
      return { loginClientId: text(key, value, "the login client's id") };
    case "loginScopes":
      return { loginScopes: list(key, value, { many: "OAuth scopes", one: "scope" }, /[\s,]+/) };
  }
}

/** Lower case, letters and digits only: `per-key-attribution`, `PerKeyAttribution` and `perkeyattribution` meet. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The prop a context key was probably meant to be, when it is not exactly one. */
function nearMiss(key: string): ContextKey | undefined {
  // CDK's own keys are namespaced (`@aws-cdk/…`, `aws:cdk:…`, lookups with `:`): never ours.
  if (/[:@/]/.test(key)) return undefined;
  const typed = normalise(key);
  if (typed.length < 4) return undefined;
  return CONTEXT_KEYS.find((prop) => {
    const wanted = normalise(prop);
    return wanted.startsWith(typed) || typed.startsWith(wanted) || editDistance(typed, wanted) <= 2;
  });
}

/**
 * The MantleTokenVendor props given as CDK context. A value that does not parse, or a key that looks
 * like a misspelt prop (`perKeyAtribution`, `region`, `max-ttl`), stops synthesis with a message naming
 * it; range checks (TTL limits, attribution's 1 h cap, …) are the construct's, with the same names.
 */
export function propsFromContext(context: Readonly<Record<string, unknown>>): ContextProps {
  let props: ContextProps = {};
  for (const [key, value] of Object.entries(context)) {
    if (isContextKey(key)) {
      props = { ...props, ...parse(key, value) };
      continue;
    }
    const meant = nearMiss(key);
    if (meant !== undefined) throw new VendorPropsError(`unknown context key "${key}": did you mean "${meant}"? (keys: ${CONTEXT_KEYS.join(", ")})`);
  }
  return props;
}
