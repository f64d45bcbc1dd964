/** What a credential source signs for: the STS session to use in attribution mode, its policy and tags. */
export interface SigningSubject {
  /** STS RoleSessionName: the principal's session (SigningSession), or the service's own. */
  sessionName: string;
  sourceIdentity: string;
  /** The session policy (JSON): the token role's Mantle permissions, narrowed to what the grant allows. */
  policy: string;
  /** STS session tags (cost allocation and CloudTrail): `mantle-vend-principal`, `mantle-vend-name`. */
  tags: Readonly<Record<string, string>>;
}

/**
 * STS refuses a session policy whose plaintext is longer than this (AssumeRole's `Policy`, AWS STS
 * API reference). Its packed form, with the session tags, has a separate limit STS reports only as a
 * percentage (`PackedPolicySize`); a policy this short with two short tags stays far below it.
 */
export const STS_SESSION_POLICY_MAX_CHARS = 2048;

const INFERENCE = "bedrock-mantle:CreateInference";
/** The Mantle actions of AmazonBedrockMantleInferenceAccess, and those of them that are not inference. */
const MANTLE_ACTIONS = ["bedrock-mantle:CallWithBearerToken", INFERENCE, "bedrock-mantle:Get*", "bedrock-mantle:List*"];
const READ_ACTIONS = MANTLE_ACTIONS.filter((action) => action !== INFERENCE);

/**
 * IAM's StringLike reads `*`, `?` and `${…}` as wildcards and variables; a pattern's `*` is only ever
 * its trailing wildcard, so every other special character is written as the literal IAM offers.
 */
function iamLike(pattern: string): string {
  const body = pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
  const literal = body.replace(/[?$]/g, (c) => `\${${c}}`);
  return pattern.endsWith("*") ? `${literal}*` : literal;
}

/**
 * The token role's Mantle permissions, narrowed to `regions` and, when the grant names models, its
 * inference narrowed to them by `bedrock-mantle:Model` (StringLike), so Mantle itself refuses other
 * models. Compact JSON: STS counts its characters.
 */
export function sessionPolicy(regions: readonly string[], models?: readonly string[]): string {
  const inRegions = { StringEquals: { "aws:RequestedRegion": [...regions] } };
  if (models === undefined) {
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: MANTLE_ACTIONS, Resource: "*", Condition: inRegions }],
    });
  }
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: READ_ACTIONS, Resource: "*", Condition: inRegions },
      { Effect: "Allow", Action: INFERENCE, Resource: "*", Condition: { ...inRegions, StringLike: { "bedrock-mantle:Model": models.map(iamLike) } } },
    ],
  });
}

/** The service's own subject when it lists a region's models live: that region, nothing else. */
export function catalogSubject(region: string): SigningSubject {
  return {
    sessionName: `mantle-vend-catalog-${region}`,
    sourceIdentity: "mantle-vend-catalog",
    policy: sessionPolicy([region]),
    tags: sessionTags("mantle-vend:catalog", "catalog"),
  };
}

/** Session tag values allow letters, digits, spaces and `_.:/=+-@`, at most 256 characters. */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N}\p{Zs}_.:/=+\-@]/gu, "-").slice(0, 256);
}

/** The two session tags every AssumeRole carries (docs/operations.md, "Cost per principal"). */
export function sessionTags(principal: string, name: string): Readonly<Record<string, string>> {
  return { "mantle-vend-principal": tagValue(principal), "mantle-vend-name": tagValue(name) };
}
