/**
 * A loopback front for a Mantle emulator that lets a test pace SSE streams by hand: it passes every
 * request and answer through, except that an event stream's events are written one at a time, the next
 * only when the test calls `release()`. A test that gets each event before releasing the next proves the
 * path in between does not buffer, without waiting on the clock.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SseGate {
  /** Value for MANTLE_VEND_MANTLE_ENDPOINT. */
  endpointTemplate: string;
  /** Events written so far, over all streams. */
  readonly written: number;
  /** Lets the next held event go out. */
  release(): void;
  close(): Promise<void>;
}

export async function startSseGate(upstreamUrl: string): Promise<SseGate> {
  const upstream = new URL(upstreamUrl);
  let written = 0;
  let releases = 0;
  /** Streams waiting for a release, oldest first. */
  const waiting: Array<() => void> = [];

  const take = (): Promise<void> => {
    if (releases > 0) {
      releases--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };

  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!String(answer.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          answer.pipe(res);
          return;
        }
        res.flushHeaders();
        const queue: string[] = [];
        let text = "";
        let ended = false;
        let writing = false;
        /** The first event of a stream goes out at once; each later one waits for a release. */
        let sent = 0;
        const pump = async (): Promise<void> => {
          if (writing) return;
          writing = true;
          while (queue.length > 0) {
            if (sent > 0) await take();
            res.write(queue.shift());
            sent++;
            written++;
          }
          writing = false;
          if (ended) res.end();
        };
        answer.setEncoding("utf8");
        answer.on("data", (chunk: string) => {
          text += chunk;
          const parts = text.split("\n\n");
          text = parts.pop() ?? "";
          queue.push(...parts.map((p) => `${p}\n\n`));
          void pump();
        });
        answer.on("end", () => {
          ended = true;
          void pump();
        });
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpointTemplate: `${url}/{region}`,
    get written() {
      return written;
    },
    release: () => {
      const next = waiting.shift();
      if (next !== undefined) next();
      else releases++;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
