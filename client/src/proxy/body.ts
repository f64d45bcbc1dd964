/** Request and answer bodies the proxy reads: to find a request's model, to hold it for a retry. */
import type { IncomingMessage } from "node:http";

/** The body bytes already read from the request, and whether that was all of it. */
export interface PeekedBody {
  chunks: Buffer[];
  complete: boolean;
}

/**
 * Reads a request body until it ends or passes `limit`, then pauses the request: whatever
 * was not read yet can still be piped on, so a large upload is never held in memory.
 */
export function peekBody(req: IncomingMessage, limit: number): Promise<PeekedBody> {
  if (Number(req.headers["content-length"]) > limit) return Promise.resolve({ chunks: [], complete: false });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = (): void => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        detach();
        resolve({ chunks, complete: false });
      }
    };
    const onEnd = (): void => {
      detach();
      resolve({ chunks, complete: true });
    };
    const onError = (error: Error): void => {
      detach();
      reject(error);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

/**
 * The body of a request the proxy holds whole, so that it can be sent again: read whole for its model,
 * or a GET/HEAD, which has none. Undefined for a body that streams on.
 */
export function heldBody(req: IncomingMessage, peeked: PeekedBody | undefined): Buffer | undefined {
  if (peeked?.complete === true) return joined(peeked.chunks);
  return req.method === "GET" || req.method === "HEAD" ? Buffer.alloc(0) : undefined;
}

/** The chunks as one buffer; a single chunk as it is, without a copy. */
export function joined(chunks: readonly Buffer[]): Buffer {
  const first = chunks[0];
  return chunks.length === 1 && first !== undefined ? first : Buffer.concat(chunks);
}

/** An answer body of at most `limit` bytes (an error's), or undefined when it is longer. */
export async function readSmall(answer: IncomingMessage, limit = 64 * 1024): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      answer.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
