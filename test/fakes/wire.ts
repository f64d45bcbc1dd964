// What the wire-level AWS fakes share: reading a request body, the queue of injected faults, and
// holding requests (a "hang" fault) until the client gives up or the test releases them.
import type { IncomingMessage, ServerResponse } from "node:http";

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export interface FaultSpec<K extends string> {
  /** Only requests for this action (e.g. "GetParameter"); every action when omitted. */
  action?: string;
  /** Only requests for this path (SSM's GetParametersByPath Path, e.g. "/mantle-vend/keys"); any when omitted. */
  path?: string;
  kind: K;
  /** How many matching requests to hit; until clear() when omitted. */
  times?: number;
}

/** Injected faults, each hitting the next `times` matching requests, first injected first. */
export class Faults<K extends string> {
  private faults: Array<{ action?: string; path?: string; kind: K; remaining: number }> = [];

  inject(spec: FaultSpec<K>): void {
    this.faults.push({ action: spec.action, path: spec.path, kind: spec.kind, remaining: spec.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault the next request for `action` (and `path`, where the action has one) meets, if any (and counts it). */
  take(action: string, path?: string): K | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (f.action === undefined || f.action === action) && (f.path === undefined || f.path === path));
    if (fault) fault.remaining -= 1;
    return fault?.kind;
  }
}

/**
 * Requests held without an answer. A held request ends when the client hangs up (it is then still
 * carried out, as AWS does after a client timeout) or when release() lets it answer normally.
 * Listeners hear of each held request with the SDK's `amz-sdk-invocation-id`, so a test's request
 * handler can time that request out at once instead of on a real timer.
 */
export class Holds {
  private readonly releases = new Set<() => void>();
  private readonly listeners = new Set<(invocationId: string) => void>();

  get size(): number {
    return this.releases.size;
  }

  release(): void {
    for (const release of [...this.releases]) release();
  }

  onHold(listener: (invocationId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hold(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (res.destroyed) return Promise.resolve();
    const held = new Promise<void>((resolve) => {
      const release = (): void => {
        this.releases.delete(release);
        res.off("close", release);
        resolve();
      };
      this.releases.add(release);
      res.once("close", release);
    });
    const invocationId = req.headers["amz-sdk-invocation-id"];
    for (const listener of this.listeners) listener(typeof invocationId === "string" ? invocationId : "");
    return held;
  }
}
