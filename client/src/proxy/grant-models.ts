/** The models the proxy's key may call, from its grant (`GET /v1/whoami`), kept a while. */
import { SingleFlight } from "../single-flight.js";
import type { WhoamiResponse } from "../types.js";
import { describeError, refusedCredential } from "./answer.js";

/** The service applies a changed grant within about a minute; the proxy follows on the same scale. */
const KEEP_MS = 60_000;
/** After a failed read, the next request asks again no sooner than this. */
const RETRY_MS = 10_000;

/**
 * The grant's model patterns (undefined: every model), read once and then at most once a minute,
 * behind the requests (which keep the patterns read before meanwhile); concurrent requests share one
 * read. When the read fails, the last patterns read keep applying; a proxy that never read any (a
 * service that predates model grants answers 404) admits every model and leaves the refusal to the
 * service and, in attribution mode, to Mantle itself.
 */
export class GrantModels {
  private held: { models: readonly string[] | undefined; until: number } | undefined;
  private readonly reads = new SingleFlight<"grant", readonly string[] | undefined>();
  private failing = false;

  constructor(
    private readonly whoami: () => Promise<WhoamiResponse>,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {}

  current(): Promise<readonly string[] | undefined> {
    const held = this.held;
    if (held !== undefined && this.now() < held.until) return Promise.resolve(held.models);
    const reading = this.reads.run("grant", () => this.read());
    // Models read before keep applying while they are read again: a slow service is not waited on.
    return held === undefined ? reading : Promise.resolve(held.models);
  }

  private async read(): Promise<readonly string[] | undefined> {
    try {
      const models = (await this.whoami()).grant.models;
      this.held = { models: models === undefined ? undefined : Object.freeze([...models]), until: this.now() + KEEP_MS };
      this.failing = false;
      return this.held.models;
    } catch (error) {
      // Said once per run of failures, not once a request; a refused credential in the words every step
      // uses for it, so the proxy's log says it once.
      const refused = refusedCredential(error);
      if (!this.failing) {
        this.log(`proxy: ${refused ?? `cannot read the key's grant (GET /v1/whoami): ${describeError(error)}; ${this.held === undefined ? "admitting every model" : "keeping its last models"}`}`);
      }
      this.failing = true;
      const models = this.held?.models;
      this.held = { models, until: this.now() + RETRY_MS };
      return models;
    }
  }
}
