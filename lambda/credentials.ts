import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { DependencyError } from "./errors.js";
import type { CredentialSource, SigningCredentials } from "./tokens.js";

/**
 * The default AWS credential chain (the execution role's environment credentials in
 * Lambda), memoised and refreshed by the SDK. Failures surface as DependencyError (503).
 */
export function defaultCredentialSource(): CredentialSource {
  const provider = fromNodeProviderChain();
  return async () => {
    try {
      return await provider();
    } catch (error) {
      throw new DependencyError("signing credentials are unavailable", { cause: error });
    }
  };
}

export function staticCredentialSource(credentials: SigningCredentials): CredentialSource {
  return async () => credentials;
}
