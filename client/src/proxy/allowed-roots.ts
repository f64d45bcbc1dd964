/** Which Mantle roots the proxy sends a token to: the ones the service's allowlist names. */
import { isLoopbackHost } from "../loopback.js";
import { SingleFlight } from "../single-flight.js";

/** `scheme://host/path` without a trailing slash, and the parsed URL; undefined for what is not a URL. */
function canonical(url: string): { text: string; parsed: URL } | undefined {
  try {
    const parsed = new URL(url);
    return { text: `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`, parsed };
  } catch {
    return undefined;
  }
}

/** The canonical forms of a region list's base URLs (what {@link mantleRootRefusal} compares with). */
export function allowedBaseUrls(baseUrls: readonly string[]): ReadonlySet<string> {
  return new Set(baseUrls.flatMap((url) => canonical(url)?.text ?? []));
}

/**
 * Why a token with this `baseUrl` must not be sent, or undefined when it may: the baseUrl must be one
 * the service's allowlist names (its `/v1/regions` answer), over https unless it is loopback (the local
 * emulator of offline mode).
 */
export function mantleRootRefusal(baseUrl: string, allowed: ReadonlySet<string>): string | undefined {
  const url = canonical(baseUrl);
  if (url === undefined) return "the service returned a token whose baseUrl is not a URL";
  const { protocol, hostname } = url.parsed;
  if (protocol !== "https:" && !(protocol === "http:" && isLoopbackHost(hostname))) {
    return `refusing to send a token to ${url.text}: Mantle roots must be https (plain http only on loopback)`;
  }
  if (!allowed.has(url.text)) return `refusing to send a token to ${url.text}: it is not among the Mantle roots the service's allowlist names`;
  return undefined;
}

/** A region list is asked for again on a miss, at most this often. */
const REGIONS_REFRESH_MS = 60_000;
/** After a failed load the service is not asked for the region list again for this long. */
const REGIONS_FAILURE_COOLDOWN_MS = 60_000;

/**
 * The base URLs of the service's `/v1/regions` answer, fetched at start ({@link warm}) or when first
 * needed, and again on a miss, canonicalised once per load; each token base URL's verdict is kept until
 * the next load. A failed load is remembered for a minute: meanwhile the list held (if any) decides.
 */
export class AllowedMantleRoots {
  private allowed: ReadonlySet<string> | undefined;
  private fetchedAt = 0;
  private failure: { error: unknown; retryAt: number } | undefined;
  private readonly verdicts = new Map<string, string | undefined>();
  private readonly loads = new SingleFlight<"regions", ReadonlySet<string>>();

  constructor(
    private readonly regions: () => Promise<{ regions: ReadonlyArray<{ baseUrl: string }> }>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a token for `baseUrl` was found allowed since the last load: known without waiting for anything. */
  allows(baseUrl: string): boolean {
    return this.verdicts.has(baseUrl);
  }

  /** Why a token for `baseUrl` must not be sent, or undefined. Throws when the region list cannot be had. */
  async refusal(baseUrl: string): Promise<string | undefined> {
    if (this.verdicts.has(baseUrl)) return this.verdicts.get(baseUrl);
    const refusal = mantleRootRefusal(baseUrl, this.allowed ?? (await this.load()));
    if (refusal === undefined || this.now() - this.fetchedAt < REGIONS_REFRESH_MS) return this.remember(baseUrl, refusal);
    // The key's regions may have changed since: ask once more before refusing (the list held decides
    // when that cannot be done).
    const again = await this.load().catch(() => undefined);
    return again === undefined ? refusal : this.remember(baseUrl, mantleRootRefusal(baseUrl, again));
  }

  private remember(baseUrl: string, refusal: string | undefined): string | undefined {
    // Refusals are asked again (the list may grow); a few base URLs per region at most are allowed.
    if (refusal === undefined && this.verdicts.size < 256) this.verdicts.set(baseUrl, undefined);
    return refusal;
  }

  /** Loads the list before it is first needed; a failure is remembered as any other is. */
  warm(): Promise<void> {
    return this.load().then(
      () => undefined,
      () => undefined,
    );
  }

  private load(): Promise<ReadonlySet<string>> {
    const failure = this.failure;
    if (failure !== undefined && this.now() < failure.retryAt) return Promise.reject(failure.error);
    return this.loads.run("regions", async () => {
      let answer: { regions: ReadonlyArray<{ baseUrl: string }> };
      try {
        answer = await this.regions();
      } catch (error) {
        this.failure = { error, retryAt: this.now() + REGIONS_FAILURE_COOLDOWN_MS };
        throw error;
      }
      this.failure = undefined;
      this.allowed = allowedBaseUrls(answer.regions.map((r) => r.baseUrl));
      this.fetchedAt = this.now();
      this.verdicts.clear();
      return this.allowed;
    });
  }
}
