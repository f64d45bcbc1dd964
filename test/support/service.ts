import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IdentityAdmin } from "../../lambda/admin/identities-admin.js";
import { KeyAdmin, type CreateKeyOptions } from "../../lambda/admin/keys-admin.js";
import type { Api } from "../../lambda/http/api.js";
import type { CatalogService } from "../../lambda/catalog/service.js";
import { loadConfig, type Config } from "../../lambda/config.js";
import { staticCredentialSource } from "../../lambda/tokens/credentials.js";
import { createLogger } from "../../lambda/logger.js";
import { createLocalServer } from "../../lambda/local/server.js";
import { createService } from "../../lambda/service.js";
import { FileParameterStore } from "../../lambda/store/file.js";
import type { ParameterStore } from "../../lambda/store/types.js";
import type { CredentialSource } from "../../lambda/tokens/mint.js";
import type { FunctionUrlEvent } from "../../lambda/http/events.js";
import { EMULATOR_CREDENTIALS, MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { CounterStore } from "../../lambda/limits/index.js";
import type { ServiceMetrics } from "../../lambda/metrics/index.js";
import { ManualClock } from "./clock.js";

export interface ServiceOptions {
  /** Extra MANTLE_VEND_* environment for loadConfig. */
  env?: Record<string, string>;
  /** Defaults to a FileParameterStore in a fresh temporary directory. */
  store?: ParameterStore;
  clock?: ManualClock;
  emulator?: MantleEmulator;
  /** Poll the key version on every request (what the local server does). Default true for the file store. */
  pollIntervalMs?: number;
  /** Deadline of one live GET /v1/models (default 1 s). */
  upstreamTimeoutMs?: number;
  /** Starts the live fetch's deadline timer (default: a real one). */
  upstreamTimeoutSignal?: (ms: number) => AbortSignal;
  /** Defaults to the emulator's static credentials. */
  credentials?: CredentialSource;
  /** The live fetch to Mantle (defaults to the global fetch). */
  fetch?: typeof fetch;
  /** The fleet's counters (fleet limits on); none by default. */
  counters?: CounterStore;
  metrics?: ServiceMetrics;
  /** Every fetch of an identity provider's discovery document or keys (defaults to the global fetch). */
  identityFetch?: typeof fetch;
}

/** The real handler wired to a real store and a real Mantle emulator, with a hand-moved clock. */
export interface TestService {
  api: Api;
  catalogs: CatalogService;
  config: Config;
  clock: ManualClock;
  emulator: MantleEmulator;
  store: ParameterStore;
  admin: KeyAdmin;
  /** Identity policies in the same store. */
  identities: IdentityAdmin;
  /** Waits for the key cache's background sync, if one is running. */
  settle(): Promise<void>;
  /** Every event the handler received, in order. */
  events: FunctionUrlEvent[];
  createKey(options?: Partial<CreateKeyOptions>): Promise<{ key: string; keyId: string }>;
  /** Serves the handler over HTTP on loopback, as the local server does; returns its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Stands in for AbortSignal.timeout as the live fetch's deadline: it passes the moment the
 * emulator holds a request ("timeout", "slow"), so no test waits for a real timer.
 */
export function deadlineOnHold(emulator: MantleEmulator): (ms: number) => AbortSignal {
  const running = new Set<AbortController>();
  emulator.onHold(() => {
    for (const timer of running) timer.abort(new DOMException("the live fetch's deadline passed", "TimeoutError"));
    running.clear();
  });
  return () => {
    const timer = new AbortController();
    running.add(timer);
    return timer.signal;
  };
}

export async function startService(options: ServiceOptions = {}): Promise<TestService> {
  const emulator = options.emulator ?? (await MantleEmulator.start());
  const dir = options.store === undefined ? await mkdtemp(join(tmpdir(), "mantle-vend-test-")) : undefined;
  const store = options.store ?? new FileParameterStore(dir as string);
  const clock = options.clock ?? new ManualClock();
  const config = loadConfig({ MANTLE_VEND_MANTLE_ENDPOINT: emulator.endpointTemplate, ...options.env });
  const { api: inner, principals, catalogs } = createService({
    config,
    store,
    credentials: options.credentials ?? staticCredentialSource(EMULATOR_CREDENTIALS),
    log: createLogger(),
    version: "test",
    clock: clock.now,
    configPolling: { pollIntervalMs: options.pollIntervalMs ?? 0, blockingPoll: options.pollIntervalMs === undefined, random: () => 0.5 },
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 1_000,
    catalogRetryDelayMs: 0,
    sleep: clock.sleep,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.counters === undefined ? {} : { counters: options.counters }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.identityFetch === undefined ? {} : { identityFetch: options.identityFetch }),
    ...(options.upstreamTimeoutSignal === undefined ? {} : { upstreamTimeoutSignal: options.upstreamTimeoutSignal }),
  });
  const events: FunctionUrlEvent[] = [];
  const api: Api = (event) => {
    events.push(event);
    return inner(event);
  };
  const admin = new KeyAdmin(store, config.parameterPrefix, clock.now);
  // Dated by the service's clock, as a deployment's answers are dated by the service's side.
  const server = createLocalServer(api, clock.now);
  return {
    api,
    catalogs,
    config,
    clock,
    emulator,
    store,
    admin,
    identities: new IdentityAdmin(store, config.parameterPrefix, clock.now),
    events,
    settle: () => principals.idle(),
    createKey: (init = {}) => admin.create({ name: "test", ...init }),
    listen: () =>
      new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.emulator === undefined) await emulator.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}
