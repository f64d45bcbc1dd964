import type { Grant, Principal } from "../../lambda/grants/index.js";
import { keyPrincipal } from "../../lambda/keys/principal.js";

/**
 * A key's principal as the key authenticator makes it (keyId 0123456789abcdef; its grant every region
 * and the largest TTL unless given), for tests of what comes after authentication.
 */
export function keyAs(name: string, grant: Partial<Grant> = {}): Principal {
  return keyPrincipal("0123456789abcdef", { name, sha256: "0".repeat(64), createdAt: "2026-01-01T00:00:00Z", regions: ["*"], maxTtlSeconds: 43_200, ...grant });
}
