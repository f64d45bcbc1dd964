import { grantOf, stsName, type Principal } from "../grants/index.js";
import type { KeyRecord } from "./record.js";

/** An API key as a principal: `key:<keyId>`, signing as STS session `mvk-<keyId>-<name>` in attribution mode. */
export function keyPrincipal(keyId: string, record: KeyRecord): Principal {
  return {
    id: `key:${keyId}`,
    kind: "key",
    name: record.name,
    grant: grantOf(record),
    session: { sessionName: stsName(`mvk-${keyId}-${record.name}`), sourceIdentity: `mvk-${keyId}`, attributedAs: `key:${keyId}` },
    logFields: { keyId, keyName: record.name },
  };
}
