import { createHash } from "node:crypto";
import type { Principal } from "../grants/index.js";
import type { IdentityPolicy } from "./policy.js";

/**
 * An admitted identity as a principal: `identity:<policy>:<subject>`. In attribution mode its tokens
 * are signed by STS session `mvo-<policy>-<12 hex of sha256(subject)>` (session name and source
 * identity alike) and tagged `identity:<policy>:<the same 12 hex>`, so CloudTrail and cost data name
 * the workload or person without the subject's own characters, which STS would not all accept.
 */
export function identityPrincipal(policy: IdentityPolicy, subject: string): Principal {
  const digest = createHash("sha256").update(subject, "utf8").digest("hex").slice(0, 12);
  const session = `mvo-${policy.name}-${digest}`;
  return {
    id: `identity:${policy.name}:${subject}`,
    kind: "identity",
    name: policy.name,
    grant: policy.grant,
    session: { sessionName: session, sourceIdentity: session, attributedAs: `identity:${policy.name}:${digest}` },
    logFields: { policy: policy.name, subject },
  };
}
