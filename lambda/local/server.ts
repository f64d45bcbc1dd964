import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { FunctionUrlEvent, FunctionUrlResult } from "../http/index.js";

/** Lambda function URLs refuse request bodies over 6 MB before the handler runs. */
const LAMBDA_BODY_LIMIT = 6 * 1024 * 1024;

/**
 * Translates a Node request into the function-URL event (payload 2.0) Lambda would deliver:
 * the path exactly as sent (function URLs do not resolve `.` or `..` segments, so neither
 * does this), the query string raw, and repeated headers joined with "," as payload format
 * 2.0 documents — two `authorization` headers arrive as one joined value.
 */
function toFunctionUrlEvent(request: IncomingMessage, body: Buffer): FunctionUrlEvent {
  const target = request.url ?? "/";
  const queryAt = target.indexOf("?");
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name.toLowerCase()] = values.join(",");
  }
  const event: FunctionUrlEvent = {
    version: "2.0",
    rawPath,
    rawQueryString: queryAt === -1 ? "" : target.slice(queryAt + 1),
    headers,
    isBase64Encoded: body.length > 0,
    requestContext: {
      requestId: randomUUID(),
      http: { method: request.method ?? "GET", path: rawPath, sourceIp: request.socket.remoteAddress ?? "" },
    },
  };
  if (body.length > 0) event.body = body.toString("base64");
  return event;
}

/** Only origin-form targets (`/path?query`) reach a function; absolute-form and `*` do not. */
function isOriginForm(target: string | undefined): boolean {
  return target !== undefined && target.startsWith("/");
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > LAMBDA_BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Serves a function-URL handler over plain HTTP, as `npm start` does. `now` dates the answers (their
 * `Date` header) by the service's clock, which tests move; without it Node dates them by its own.
 */
export function createLocalServer(handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>, now?: () => number): Server {
  return createServer((request, response) => {
    if (!isOriginForm(request.url)) {
      response.writeHead(400, { "content-type": "text/plain", connection: "close" }).end("Bad Request");
      request.resume();
      return;
    }
    void (async () => {
      const body = await readBody(request);
      if (body === undefined) {
        response.writeHead(413, { "content-type": "text/plain" }).end("Request Entity Too Large");
        request.destroy();
        return;
      }
      const result = await handler(toFunctionUrlEvent(request, body));
      const date = now === undefined ? {} : { date: new Date(now()).toUTCString() };
      response.writeHead(result.statusCode, { ...date, ...result.headers }).end(result.body);
    })().catch(() => {
      // Mirrors Lambda's own crash answer, which carries no envelope.
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end("Internal Server Error");
    });
  });
}
