/** Step 3, credential: a token for the request, and the Mantle root it is sent to, if the service lists that root. */
import type { TokenResponse } from "../../types.js";
import { describeError, errorAnswer, refusedCredential, type ProxyAnswer } from "../answer.js";
import { upstreamOf, type Upstream } from "../upstream.js";

export interface Credential {
  readonly kind: "credential";
  readonly token: TokenResponse;
  readonly upstream: Upstream;
}

export interface CredentialSource {
  token(): Promise<TokenResponse>;
  /** Why a token for this base URL must not be sent, or undefined; throws when that cannot be known. */
  rootRefusal(baseUrl: string): Promise<string | undefined>;
}

/** A token whose Mantle root the service lists, or the proxy's answer when there is none. */
export async function credential(source: CredentialSource, log: (line: string) => void): Promise<Credential | ProxyAnswer> {
  let token: TokenResponse;
  let refusal: string | undefined;
  try {
    token = await source.token();
  } catch (error) {
    const refused = refusedCredential(error);
    log(`proxy: ${refused ?? `no token: ${describeError(error)}`}`);
    if (refused !== undefined) return errorAnswer(401, "token_unavailable", refused, { "www-authenticate": "Bearer" });
    return errorAnswer(503, "token_unavailable", `the proxy could not get a Mantle token: ${describeError(error)}`);
  }
  try {
    refusal = await source.rootRefusal(token.baseUrl);
  } catch (error) {
    log(`proxy: no region list: ${describeError(error)}`);
    return errorAnswer(503, "token_unavailable", `the proxy could not check the service's Mantle roots: ${describeError(error)}`);
  }
  if (refusal !== undefined) {
    log(`proxy: ${refusal}`);
    return errorAnswer(502, "upstream_not_allowed", refusal);
  }
  return { kind: "credential", token, upstream: upstreamOf(token) };
}
