import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { STSClient } from "@aws-sdk/client-sts";
import { DependencyUnavailableError } from "../errors.js";
import type { Clock } from "../clock.js";
import { ATTRIBUTION_MAX_SESSION_SECONDS } from "../config.js";
import type { SigningSubject } from "../grants/index.js";
import type { CredentialSource, SigningCredentials } from "./mint.js";

/**
 * The default AWS credential chain (the execution role's environment credentials in
 * Lambda), memoised and refreshed by the SDK. Failures surface as DependencyUnavailableError (503).
 */
export function defaultCredentialSource(): CredentialSource {
  const provider = fromNodeProviderChain();
  return async () => {
    try {
      return await provider();
    } catch (error) {
      throw new DependencyUnavailableError("signing credentials are unavailable", { cause: error, dependency: "sts" });
    }
  };
}

export function staticCredentialSource(credentials: SigningCredentials): CredentialSource {
  return async () => credentials;
}

/**
 * A cached session signs a token while it has at least this share of the asked TTL left
 * (and no less than a few minutes, or the whole TTL when that is shorter); the token's
 * `expiresAt` is then the session's expiry. Sessions last at most an hour, as long as a
 * default token, so requiring a session to outlive the whole TTL would mean one
 * AssumeRole per request; this way it is at most about two per key per token lifetime.
 */
const SESSION_REUSE_SHARE = 0.5;
const SESSION_REUSE_FLOOR_SECONDS = 300;

/** The least remaining session life a token of `ttlSeconds` is signed with. */
function sessionReuseSeconds(ttlSeconds: number): number {
  return Math.min(ttlSeconds, Math.max(SESSION_REUSE_FLOOR_SECONDS, ttlSeconds * SESSION_REUSE_SHARE));
}

/**
 * Per-key attribution: each subject signs with its own STS session of the token role, so
 * CloudTrail names the key (RoleSessionName, SourceIdentity) on every Mantle call, and the
 * session's known expiry makes `expiresAt` exact. Sessions are cached per subject and
 * reused while they have `sessionReuseSeconds` left; a token signed with one is clamped
 * to its expiry, and the answer says so.
 */
export function attributionCredentialSource(options: {
  roleArn: string;
  sts: () => Promise<STSClient>;
  clock: Clock;
}): CredentialSource {
  const sessions = new Map<string, Promise<SigningCredentials>>();
  const assume = async (subject: SigningSubject): Promise<SigningCredentials> => {
    const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
    try {
      const client = await options.sts();
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: subject.sessionName,
          SourceIdentity: subject.sourceIdentity,
          DurationSeconds: ATTRIBUTION_MAX_SESSION_SECONDS,
          Policy: subject.policy,
          Tags: Object.entries(subject.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new Error("AssumeRole returned no credentials");
      }
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (error) {
      throw new DependencyUnavailableError("the token role could not be assumed", { cause: error, dependency: "sts" });
    }
  };
  return async (subject, ttlSeconds) => {
    const cacheKey = JSON.stringify([subject.sessionName, subject.policy, subject.tags]);
    const cached = sessions.get(cacheKey);
    const needUntil = options.clock() + sessionReuseSeconds(ttlSeconds) * 1000;
    if (cached !== undefined) {
      const credentials = await cached.catch(() => undefined);
      if (credentials?.expiration !== undefined && credentials.expiration.getTime() >= needUntil) return credentials;
    }
    const fresh = assume(subject);
    sessions.set(cacheKey, fresh);
    fresh.catch(() => sessions.delete(cacheKey));
    return fresh;
  };
}
