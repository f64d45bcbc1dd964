import { Duration, RemovalPolicy, Token } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import {
  ATTRIBUTION_MAX_SESSION_SECONDS,
  DEFAULT_LOGIN_SCOPES,
  DEFAULT_PARAMETER_PREFIX,
  DEFAULT_TTL_SECONDS,
  loginProblem,
  MAX_CATALOG_TTL_SECONDS,
  prefixProblem,
  TOKEN_MAX_TTL_SECONDS,
  TOKEN_MIN_TTL_SECONDS,
} from "../lambda/config.js";
import { MANTLE_REGIONS } from "../lambda/regions.js";
import { isRegionName } from "../lambda/rules.js";

/** The functions refuse a catalog TTL above 7 days at start-up (lambda/config.ts). */
const MAX_REFRESH_INTERVAL_MINUTES = MAX_CATALOG_TTL_SECONDS / 60;

/**
 * Properties of {@link MantleTokenVendor}. Every property is optional; the defaults are the
 * secure, documented behaviour of docs/configuration.md and docs/operations.md.
 */
export interface MantleTokenVendorProps {
  /**
   * Regions keys may mint tokens for and the refresh function keeps catalogs of.
   * @default the 12 Mantle regions (docs/configuration.md)
   */
  readonly regions?: string[];
  /**
   * SSM Parameter Store path under which keys and catalogs live. Starts with `/`, no trailing `/`.
   * @default "/mantle-vend"
   */
  readonly parameterPrefix?: string;
  /**
   * Token lifetime when a request does not ask for one. At least 60 s and at most `maxTtl`.
   * @default Duration.hours(1), or `maxTtl` when that is shorter
   */
  readonly defaultTtl?: Duration;
  /**
   * Longest token lifetime the server hands out. At most 12 h (1 h with `perKeyAttribution`).
   * @default Duration.hours(1)
   */
  readonly maxTtl?: Duration;
  /**
   * How often the refresh function re-reads every region's model list; `null` turns the schedule off.
   * Whole minutes, from 1 minute to 7 days.
   * @default Duration.minutes(60)
   */
  readonly catalogRefreshInterval?: Duration | null;
  /**
   * Reserved concurrency of the API function.
   * @default - not set (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of both functions' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Sign tokens with a dedicated role assumed per key (source identity = key id), so CloudTrail
   * attributes Mantle calls to the key that minted the token.
   * @default false
   */
  readonly perKeyAttribution?: boolean;
  /**
   * What happens to both functions' log groups when the stack is deleted or they are replaced.
   * Logs are the audit trail of who minted what, so they are kept unless this says otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Receives the alarm and recovery notifications of the refresh-errors and API 5xx alarms.
   * The alarms exist either way.
   * @default - no alarm actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Hold each principal's rate limit and daily quota across every container, in a DynamoDB table
   * (on-demand, TTL, AWS-owned encryption); false: per-container limits only, no quotas.
   * @default true
   */
  readonly fleetLimits?: boolean;
  /**
   * What the API does when the limits table fails: `open` admits (and logs and counts it), `closed`
   * answers 503.
   * @default "open"
   */
  readonly fleetLimitsFailure?: "open" | "closed";
  /**
   * The OpenID Provider people log in with (`mantle-vend login`, OAuth device authorization grant):
   * advertised at `GET /v1/identity`. Its ID tokens are admitted by an ordinary identity policy
   * (`mantle-vend-admin identities add … --audience <clientId>`; docs/identity.md).
   * @default - no login; workloads may still present their own OIDC tokens
   */
  readonly login?: LoginProps;
}

/** `mantle-vend login`'s provider: an https issuer and a public client allowed the device grant. */
export interface LoginProps {
  readonly issuer: string;
  readonly clientId: string;
  /** @default ["openid", "email", "profile", "offline_access"] */
  readonly scopes?: string[];
}

export interface ResolvedProps {
  readonly regions: string[];
  readonly parameterPrefix: string;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly refreshIntervalMinutes: number | null;
  readonly reservedConcurrency: number | undefined;
  readonly logRetention: logs.RetentionDays;
  readonly perKeyAttribution: boolean;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly alarmTopic: sns.ITopic | undefined;
  readonly fleetLimits: boolean;
  readonly fleetLimitsFailure: "open" | "closed";
  readonly login: Required<LoginProps> | undefined;
}

/** A prop (or the CDK context value it came from) that cannot be used; its message names it. */
export class VendorPropsError extends Error {
  override readonly name = "VendorPropsError";
}

function fail(message: string): never {
  throw new VendorPropsError(`MantleTokenVendor: ${message}`);
}

function requireLiteral(name: string, value: string): void {
  // ARNs, suppression ids and the env vars are computed from these values at synth time.
  if (Token.isUnresolved(value)) fail(`${name} must be a literal value, not a token`);
}

function durationSeconds(name: string, value: Duration): number {
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) fail(`${name} must be a whole number of seconds (got ${seconds})`);
  return seconds;
}

function validatePrefix(prefix: string): string {
  requireLiteral("parameterPrefix", prefix);
  const problem = prefixProblem(prefix);
  if (problem !== undefined) fail(`parameterPrefix ${problem}`);
  return prefix;
}

function validateRegions(regions: string[]): string[] {
  if (regions.length === 0) fail("regions must not be empty");
  const seen = new Set<string>();
  for (const region of regions) {
    requireLiteral("regions", region);
    if (!isRegionName(region)) fail(`"${region}" is not a valid AWS region name`);
    // A region Mantle does not serve would deploy a service whose every token fails there.
    if (!MANTLE_REGIONS.includes(region)) fail(`region "${region}" is not a Mantle region (Mantle serves: ${MANTLE_REGIONS.join(", ")})`);
    if (seen.has(region)) fail(`region "${region}" is listed twice`);
    seen.add(region);
  }
  return [...regions];
}

export function resolveProps(props: MantleTokenVendorProps): ResolvedProps {
  const regions = validateRegions(props.regions ?? [...MANTLE_REGIONS]);
  const parameterPrefix = validatePrefix(props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX);

  const maxTtlSeconds = durationSeconds("maxTtl", props.maxTtl ?? Duration.seconds(DEFAULT_TTL_SECONDS));
  // A shorter maxTtl alone (`-c maxTtl=30m`) also shortens the default rather than contradicting it.
  const defaultTtlSeconds =
    props.defaultTtl === undefined ? Math.min(DEFAULT_TTL_SECONDS, maxTtlSeconds) : durationSeconds("defaultTtl", props.defaultTtl);
  if (maxTtlSeconds > TOKEN_MAX_TTL_SECONDS) {
    fail(`maxTtl must be at most 12 hours (${TOKEN_MAX_TTL_SECONDS} s); got ${maxTtlSeconds} s`);
  }
  if (maxTtlSeconds < TOKEN_MIN_TTL_SECONDS) {
    fail(`maxTtl must be at least ${TOKEN_MIN_TTL_SECONDS} s; got ${maxTtlSeconds} s`);
  }
  if (defaultTtlSeconds < TOKEN_MIN_TTL_SECONDS) {
    fail(`defaultTtl must be at least ${TOKEN_MIN_TTL_SECONDS} s; got ${defaultTtlSeconds} s`);
  }
  if (defaultTtlSeconds > maxTtlSeconds) {
    fail(`defaultTtl (${defaultTtlSeconds} s) must not exceed maxTtl (${maxTtlSeconds} s)`);
  }

  const perKeyAttribution = props.perKeyAttribution ?? false;
  if (perKeyAttribution && maxTtlSeconds > ATTRIBUTION_MAX_SESSION_SECONDS) {
    // The token can never outlive the chained session, so a longer maxTtl would be a lie.
    fail(
      `with perKeyAttribution, maxTtl must be at most 1 hour: STS caps role-chained sessions ` +
        `(Lambda role -> token role) at ${ATTRIBUTION_MAX_SESSION_SECONDS} s; got ${maxTtlSeconds} s`,
    );
  }

  let refreshIntervalMinutes: number | null = 60;
  if (props.catalogRefreshInterval === null) {
    refreshIntervalMinutes = null;
  } else if (props.catalogRefreshInterval !== undefined) {
    const seconds = durationSeconds("catalogRefreshInterval", props.catalogRefreshInterval);
    if (seconds < 60 || seconds % 60 !== 0) {
      fail(`catalogRefreshInterval must be a whole number of minutes, at least 1; got ${seconds} s`);
    }
    refreshIntervalMinutes = seconds / 60;
    if (refreshIntervalMinutes > MAX_REFRESH_INTERVAL_MINUTES) {
      fail(`catalogRefreshInterval must be at most 7 days; got ${refreshIntervalMinutes} minutes`);
    }
  }

  if (props.fleetLimitsFailure !== undefined && props.fleetLimitsFailure !== "open" && props.fleetLimitsFailure !== "closed") {
    fail(`fleetLimitsFailure must be "open" or "closed"; got ${JSON.stringify(props.fleetLimitsFailure)}`);
  }

  const reservedConcurrency = props.reservedConcurrency;
  if (reservedConcurrency !== undefined && (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1)) {
    fail(`reservedConcurrency must be a positive integer; got ${reservedConcurrency}`);
  }

  return {
    regions,
    parameterPrefix,
    login: props.login === undefined ? undefined : validateLogin(props.login),
    defaultTtlSeconds,
    maxTtlSeconds,
    refreshIntervalMinutes,
    reservedConcurrency,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    perKeyAttribution,
    logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    alarmTopic: props.alarmTopic,
    fleetLimits: props.fleetLimits ?? true,
    fleetLimitsFailure: props.fleetLimitsFailure ?? "open",
  };
}


/** The Lambda never calls plain http: the issuer must be https, the client id and scopes what the server accepts. */
function validateLogin(login: LoginProps): Required<LoginProps> {
  const resolved = { issuer: login.issuer, clientId: login.clientId, scopes: login.scopes ?? [...DEFAULT_LOGIN_SCOPES] };
  for (const value of [resolved.issuer, resolved.clientId, ...resolved.scopes]) requireLiteral("login", value);
  const problem = loginProblem(resolved, false);
  if (problem !== undefined) fail(`login.${problem.field} ${problem.problem} (got ${JSON.stringify(resolved[problem.field])})`);
  return resolved;
}
