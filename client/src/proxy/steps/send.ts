/** Step 4, send: one attempt at Mantle with a credential, its answer passed to the caller as it streams. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError, errorAnswer, pass, answer as reply } from "../answer.js";
import type { Forwarding } from "../routing.js";
import { upstreamRequest, type Agents } from "../upstream.js";
import type { Credential } from "./credential.js";

/** How an attempt ended. Only "unauthorized" and "unreachable" leave the caller unanswered. */
export type Sent =
  /** Mantle answered and the answer is on its way to the caller. */
  | { kind: "answered"; status: number }
  /** Mantle's 401, held back (the request was held whole and may go again): nothing sent to the caller yet. */
  | { kind: "unauthorized"; answer: IncomingMessage }
  /** No connection could be made; none of the request body was consumed. */
  | { kind: "unreachable" }
  /** The exchange broke after it started; the caller got a 502 or a cut connection. */
  | { kind: "failed" };

export interface Attempt {
  req: IncomingMessage;
  res: ServerResponse;
  forwarding: Forwarding;
  /** The whole body, when the proxy holds it (see heldBody); else it streams from `req`. */
  held: Buffer | undefined;
  credential: Credential;
  /** Hold back a 401 (only when the body is held) so that the request can go again. */
  holdUnauthorized: boolean;
}

export interface Connection {
  agents: Agents;
  log: (line: string) => void;
}

export function send({ req, res, forwarding, held, credential, holdUnauthorized }: Attempt, { agents, log }: Connection): Promise<Sent> {
  const { upstream, token } = credential;
  const out = upstreamRequest(req, forwarding.path, token, agents);
  let connected = false;
  return new Promise((settled) => {
    // The body flows only once a connection exists, so a refused connection leaves it unread.
    out.once("socket", (socket) => {
      const start = (): void => {
        connected = true;
        if (held !== undefined) out.end(held);
        else {
          for (const chunk of forwarding.peeked?.chunks ?? []) out.write(chunk);
          req.pipe(out);
        }
      };
      if (socket.connecting) socket.once("connect", start);
      else start();
    });
    out.on("response", (answer) => {
      if (answer.statusCode === 401 && holdUnauthorized && held !== undefined) return settled({ kind: "unauthorized", answer });
      pass(res, answer, undefined, forwarding.note);
      settled({ kind: "answered", status: answer.statusCode ?? 502 });
    });
    out.on("error", (error) => {
      log(`proxy: upstream ${upstream.host}: ${describeError(error)}`);
      if (!connected && !res.headersSent) return settled({ kind: "unreachable" });
      reply(req, res, errorAnswer(502, "upstream_error", `cannot reach Mantle at ${upstream.host}`));
      settled({ kind: "failed" });
    });
    // The caller went away: stop the upstream request (and its stream) too.
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
  });
}
