/**
 * The team catalog as the proxy routes by it: asked of the client on each routed request (which answers
 * at once while the catalog's max-age lasts, and remembers a failure for a minute), waited on only
 * briefly, and replaced by the catalog the proxy holds when the service does not answer in time.
 */
import { MantleVendError } from "../errors.js";
import type { Sleep } from "../retry.js";
import type { Catalog } from "../types.js";
import { describeError, refusedCredential } from "./answer.js";
import { BoundedWait } from "./deadline.js";

/** The longest a request waits for the catalog; routing then goes by what the proxy holds, or none. */
export const CATALOG_WAIT_MS = 1_000;

/** The catalog to route by, and what the caller is told about it (the `x-mantle-vend-catalog` answer header). */
export interface CatalogView {
  readonly catalog: Catalog | undefined;
  /** `stale`, `stale; reason=…` or `unavailable; reason=…`; undefined when the catalog is current. */
  readonly note: string | undefined;
}

/** A reason fit for a header: the client's error code (`timeout`, `network_error`, …). */
function reasonOf(error: unknown): string {
  const code = error instanceof MantleVendError ? error.code : "error";
  return /^[a-z0-9_]{1,40}$/.test(code) ? code : "error";
}

export class RoutingCatalog {
  private held: Catalog | undefined;
  private readonly wait: BoundedWait;
  private reported: string | undefined;
  private currentView: CatalogView | undefined;

  constructor(
    private readonly load: () => Promise<Catalog>,
    sleep: Sleep,
    private readonly log: (line: string) => void,
  ) {
    this.wait = new BoundedWait(CATALOG_WAIT_MS, sleep);
  }

  async current(): Promise<CatalogView> {
    const settled = await this.wait.settle(this.load());
    if (settled.kind === "value") {
      // The usual request: the same current catalog as the last one, and nothing to say.
      if (settled.value === this.held && this.reported === "current" && this.currentView !== undefined) return this.currentView;
      this.held = settled.value;
      if (!settled.value.stale) return (this.currentView = this.report("current", undefined, "proxy: routing by a current team catalog again"));
      // Stale as the service says, or as the client serves it while a failed revalidation is remembered.
      return this.report("stale", "stale", `proxy: routing by a stale catalog (checked at ${settled.value.checkedAt})`);
    }
    const reason = settled.kind === "late" ? "no_answer" : reasonOf(settled.error);
    const why = settled.kind === "late" ? `the service has not answered within ${CATALOG_WAIT_MS} ms` : describeError(settled.error);
    // A refused credential in the words every step uses for it, so the proxy's log says it once.
    const refused = settled.kind === "error" ? refusedCredential(settled.error) : undefined;
    if (refused !== undefined) return this.report(`refused:${reason}`, `${this.held === undefined ? "unavailable" : "stale"}; reason=${reason}`, `proxy: ${refused}`);
    if (this.held !== undefined) {
      return this.report(`stale:${reason}`, `stale; reason=${reason}`, `proxy: routing by the catalog held since ${this.held.checkedAt}: ${why}`);
    }
    return this.report(`unavailable:${reason}`, `unavailable; reason=${reason}`, `proxy: no catalog to route by, requests go on unrouted: ${why}`);
  }

  /** The view, with one log line each time the state changes (not one per request). */
  private report(state: string, note: string | undefined, line: string): CatalogView {
    if (state !== this.reported) {
      if (this.reported !== undefined || state !== "current") this.log(line);
      this.reported = state;
    }
    return { catalog: state.startsWith("unavailable") ? undefined : this.held, note };
  }
}
