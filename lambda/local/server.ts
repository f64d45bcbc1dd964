import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { FunctionUrlEvent, FunctionUrlResult } from "../http/index.js";

/** Lambda function URLs refuse request bodies over 6 MB before the handler runs. */
const LAMBDA_BODY_LIMIT = 6 * 1024 * 1024;

/** Translates a Node request into the function-URL event (payload 2.0) Lambda would deliver. */
export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer): FunctionUrlEvent {
  const url = new URL(request.url ?? "/", "http://local");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const event: FunctionUrlEvent = {
    version: "2.0",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    isBase64Encoded: body.length > 0,
    requestContext: {
      requestId: randomUUID(),
      http: { method: request.method ?? "GET", path: url.pathname, sourceIp: request.socket.remoteAddress ?? "" },
    },
  };
  if (body.length > 0) event.body = body.toString("base64");
  return event;
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

/** Serves a function-URL handler over plain HTTP, as `npm start` does. */
export function createLocalServer(handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>): Server {
  return createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      if (body === undefined) {
        response.writeHead(413, { "content-type": "text/plain" }).end("Request Entity Too Large");
        request.destroy();
        return;
      }
      const result = await handler(toFunctionUrlEvent(request, body));
      response.writeHead(result.statusCode, result.headers).end(result.body);
    })().catch(() => {
      // Mirrors Lambda's own crash answer, which carries no envelope.
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end("Internal Server Error");
    });
  });
}
