import type { SigningSession } from "./principal.js";

/** What a credential source signs for: the STS session to use in attribution mode and its policy. */
export interface SigningSubject extends SigningSession {
  /** The session policy (JSON): the token role's Mantle permissions, narrowed to what the grant allows. */
  policy: string;
}

const MANTLE_ACTIONS = ["bedrock-mantle:CallWithBearerToken", "bedrock-mantle:CreateInference", "bedrock-mantle:Get*", "bedrock-mantle:List*"];

/** The token role's Mantle permissions, narrowed to `regions`. */
export function sessionPolicy(regions: readonly string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: MANTLE_ACTIONS,
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": [...regions] } },
      },
    ],
  });
}

/** The service's own subject when it lists a region's models live: that region, nothing else. */
export function catalogSubject(region: string): SigningSubject {
  return { sessionName: `mantle-vend-catalog-${region}`, sourceIdentity: "mantle-vend-catalog", policy: sessionPolicy([region]) };
}
