/** Messages as node:http hands them over, for unit tests of the proxy's steps. */
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { parseCatalog } from "../../client/src/responses.js";
import type { Catalog } from "../../client/src/types.js";
import { catalogFixture } from "./client-support.js";

export interface IncomingInit {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  /** Pushed unread; the message then ends. */
  body?: string | Buffer;
  statusCode?: number;
}

/** A request (or an answer, with `statusCode`) with these headers and body, not connected to anything. */
export function incoming(init: IncomingInit = {}): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.method = init.method ?? "GET";
  message.url = init.url ?? "/";
  const headers = init.headers ?? {};
  message.rawHeaders = Object.entries(headers).flat();
  message.headers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  if (init.statusCode !== undefined) message.statusCode = init.statusCode;
  if (init.body !== undefined) message.push(Buffer.from(init.body));
  message.push(null);
  return message;
}

/** The client suites' catalog fixture as the client parses it (frozen), with a model on each Mantle route. */
export function parsedCatalog(region = "us-east-1", baseUrl = `https://bedrock-mantle.${region}.api.aws/v1`): Catalog {
  return parseCatalog(catalogFixture(region, baseUrl));
}
