/** Step 4, send: one attempt at Mantle with a credential, its answer passed to the caller as it streams. */
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";
import { describeError, errorAnswer, pass, answer as reply } from "../answer.js";
import { requestHeaders } from "../headers.js";
import type { Credential } from "./credential.js";
import type { Routed } from "./route.js";

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
  routed: Routed;
  /** The whole body, when the proxy holds it (see heldBody); else it streams from `req`. */
  held: Buffer | undefined;
  credential: Credential;
  /** Hold back a 401 (only when the body is held) so that the request can go again. */
  holdUnauthorized: boolean;
}

export interface Connection {
  agents: { http: HttpAgent; https: HttpsAgent };
  log: (line: string) => void;
}

export function send({ req, res, routed, held, credential, holdUnauthorized }: Attempt, { agents, log }: Connection): Promise<Sent> {
  const { upstream, token } = credential;
  const headers = requestHeaders(req);
  // With a raw header list node adds no Host of its own.
  headers.push("host", upstream.host, "authorization", `Bearer ${token.token}`);
  const out = (upstream.secure ? httpsRequest : httpRequest)({
    hostname: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: `${upstream.pathPrefix}${routed.path}`,
    headers,
    agent: upstream.secure ? agents.https : agents.http,
  });
  let connected = false;
  return new Promise((settled) => {
    // The body flows only once a connection exists, so a refused connection leaves it unread.
    out.once("socket", (socket) => {
      const start = (): void => {
        connected = true;
        if (held !== undefined) out.end(held);
        else {
          for (const chunk of routed.peeked?.chunks ?? []) out.write(chunk);
          req.pipe(out);
        }
      };
      if (socket.connecting) socket.once("connect", start);
      else start();
    });
    out.on("response", (answer) => {
      if (answer.statusCode === 401 && holdUnauthorized && held !== undefined) return settled({ kind: "unauthorized", answer });
      pass(res, answer);
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
