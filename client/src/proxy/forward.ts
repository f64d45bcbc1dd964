/**
 * One request through the proxy, as named steps (steps/): refusal → route → credential → send → retry.
 * Each step does one thing and returns what it decided; only send and the answers write to the caller.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { answer, pass } from "./answer.js";
import { heldBody } from "./body.js";
import type { CatalogView } from "./catalog.js";
import { credential, type CredentialSource } from "./steps/credential.js";
import { refusal, type Guard } from "./steps/refusal.js";
import { retry, settled } from "./steps/retry.js";
import { route } from "./steps/route.js";
import { send, type Connection } from "./steps/send.js";

/** What the steps need from the proxy around them. */
export interface Proxying extends Connection {
  guard(): Guard;
  /** The catalog to route by, never waited on for long. */
  catalog(): Promise<CatalogView>;
  /** The models the key's grant admits; undefined: every model. */
  grantModels(): Promise<readonly string[] | undefined>;
  /** Where one request's credentials come from; its waits for the service share one deadline. */
  credentials(): CredentialSource;
  drop(region: string): Promise<void>;
}

export async function forward(req: IncomingMessage, res: ServerResponse, proxying: Proxying): Promise<void> {
  const refused = refusal(req, proxying.guard());
  if (refused !== undefined) return answer(req, res, refused);
  const forwarding = await route(req, proxying);
  if (forwarding.kind === "answer") return answer(req, res, forwarding);
  // Every attempt asks under the same cache key, so a retry's fresh token serves the next request too.
  const source = proxying.credentials();
  const first = await credential(source, proxying.log);
  if (first.kind === "answer") return answer(req, res, first);
  const held = heldBody(req, forwarding.peeked);
  const attempt = { req, res, forwarding, held };
  const sent = await send({ ...attempt, credential: first, holdUnauthorized: true }, proxying);
  if (settled(sent)) return;
  await retry(sent, first, {
    credential: () => credential(source, proxying.log),
    send: (next, holdUnauthorized) => send({ ...attempt, credential: next, holdUnauthorized }, proxying),
    drop: proxying.drop,
    answer: (reply) => answer(req, res, reply),
    pass: (upstream, body) => pass(res, upstream, body, forwarding.note),
  });
}
