/**
 * Step 5, retry: what happens after an attempt that did not answer the caller. At most one more
 * attempt per request, and only where it is safe: the body was held whole, or never left the proxy.
 */
import type { IncomingMessage } from "node:http";
import { errorAnswer, type ProxyAnswer } from "../answer.js";
import { readSmall } from "../body.js";
import type { Credential } from "./credential.js";
import type { Sent } from "./send.js";

export interface Retrying {
  /** A credential for the next attempt (the token cache asked again), or the proxy's answer. */
  credential(): Promise<Credential | ProxyAnswer>;
  send(credential: Credential, holdUnauthorized: boolean): Promise<Sent>;
  /** Forgets the cached token of a region, so the next request gets a new one. */
  drop(region: string): Promise<void>;
  answer(reply: ProxyAnswer): void;
  pass(answer: IncomingMessage, body: Buffer): void;
}

/** Whether an attempt leaves nothing more to do: answered, and not with a 401 (or broken beyond help). */
export function settled(sent: Sent): boolean {
  return sent.kind === "failed" || (sent.kind === "answered" && sent.status !== 401);
}

export async function retry(sent: Sent, first: Credential, r: Retrying): Promise<void> {
  if (settled(sent)) return;
  // A dead token is dropped so the next request gets a new one.
  if (sent.kind === "answered") return r.drop(first.token.region);
  // "unauthorized": Mantle refused a token before its expiry (the signing credentials expired first,
  // docs/operations.md); the request goes again if the service hands out a different token (two minted
  // in one second are the same string), so the caller never sees the 401.
  // "unreachable": the token's Mantle root refused the connection, before any of the body was read; the
  // cached token may name an address that is gone (a local server that came back elsewhere, say).
  const refused = sent.kind === "unauthorized" ? await readSmall(sent.answer) : undefined;
  await r.drop(first.token.region);
  const fresh = await r.credential();
  if (fresh.kind === "answer") return r.answer(fresh);
  if (sent.kind === "unauthorized" && fresh.token.token === first.token.token) {
    if (refused !== undefined) r.pass(sent.answer, refused);
    else r.answer(errorAnswer(401, "upstream_unauthorized", "Mantle refused the token and the service has no other one yet"));
    return;
  }
  const again = await r.send(fresh, false);
  if (again.kind === "unreachable") r.answer(errorAnswer(502, "upstream_error", `cannot reach Mantle at ${fresh.upstream.host}`));
  else if (again.kind === "answered" && again.status === 401) await r.drop(fresh.token.region);
}
