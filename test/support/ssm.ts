import { SSMClient } from "@aws-sdk/client-ssm";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpRequest } from "@smithy/protocol-http";
import type { HttpHandlerOptions } from "@smithy/types";
import { SsmParameterStore } from "../../lambda/store/ssm.js";
import type { SsmFake } from "../fakes/ssm-fake.js";

const FAKE_CREDENTIALS = { accessKeyId: "AKIDSSMFAKE", secretAccessKey: "ssm-fake-secret" };

/** The real SSM client pointed at the wire fake; one attempt so each injected fault is seen as is. */
function ssmClient(fake: SsmFake, maxAttempts = 1): SSMClient {
  return new SSMClient({ endpoint: fake.url, region: "us-east-1", credentials: FAKE_CREDENTIALS, maxAttempts });
}

export function ssmStore(fake: SsmFake, maxAttempts = 1): SsmParameterStore {
  return new SsmParameterStore(ssmClient(fake, maxAttempts));
}

/**
 * The SDK's own HTTP handler with its request timeout driven by the fake instead of a real timer:
 * a request the fake holds (a "hang" fault) times out the moment it is held — or, with
 * `manual`, when the test calls `expire()`. The client hangs up on the fake and throws the
 * TimeoutError its real `requestTimeout` would, so the code under test sees a real timeout.
 */
export class FakeTimeoutHandler extends NodeHttpHandler {
  private readonly pending = new Map<string, AbortController>();
  private readonly held = new Set<AbortController>();
  private heldWaiters: Array<() => void> = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly fake: SsmFake,
    private readonly manual = false,
  ) {
    super();
    this.unsubscribe = fake.onHold((invocationId) => {
      const controller = this.pending.get(invocationId);
      if (controller === undefined) return;
      if (!this.manual) return controller.abort();
      this.held.add(controller);
      for (const resolve of this.heldWaiters.splice(0)) resolve();
    });
  }

  override async handle(request: HttpRequest, options: HttpHandlerOptions = {}): ReturnType<NodeHttpHandler["handle"]> {
    const invocationId = String(request.headers["amz-sdk-invocation-id"] ?? "");
    const controller = new AbortController();
    this.pending.set(invocationId, controller);
    try {
      return await super.handle(request, { ...options, abortSignal: controller.signal });
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      // The fake carries out a request its client gave up on, as AWS does. Whether that happens
      // before the client's next request arrives is a race between two sockets; the caller sees
      // the timeout only once it has, so every run orders them the same way.
      await this.fake.carriedOut(invocationId);
      // The shape NodeHttpHandler gives a breached requestTimeout.
      throw Object.assign(new Error(`Request timed out (held by the SSM fake)`, { cause: error }), { name: "TimeoutError", code: "ETIMEDOUT" });
    } finally {
      this.pending.delete(invocationId);
      this.held.delete(controller);
    }
  }

  /** Resolves once at least one request is held (manual mode). */
  whenHeld(): Promise<void> {
    if (this.held.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  /** Times out every request the fake holds now (manual mode). */
  expire(): void {
    for (const controller of this.held) controller.abort();
  }

  override destroy(): void {
    this.unsubscribe();
    super.destroy();
  }
}

/** A client whose requests time out as soon as the fake holds them; one attempt. */
export function timingOutSsmClient(fake: SsmFake, handler = new FakeTimeoutHandler(fake)): SSMClient {
  return new SSMClient({ endpoint: fake.url, region: "us-east-1", credentials: FAKE_CREDENTIALS, maxAttempts: 1, requestHandler: handler });
}
