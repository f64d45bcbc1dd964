import type { FunctionUrlEvent } from "../../lambda/http/index.js";
import { MantleEmulator } from "../../lambda/local/index.js";
import { DEFAULT_PARAMETER_PREFIX, DEFAULT_TTL_SECONDS } from "../../lambda/config.js";
import { SsmFake, type Call } from "../../test/fakes/ssm-fake.js";
import { ManualClock } from "../../test/support/clock.js";
import { functionUrlEvent } from "../../test/support/events.js";
import { startService, type TestService } from "../../test/support/service.js";
import { ssmStore } from "../../test/support/ssm.js";
import { log, round, type Figure } from "../lib.js";

const PREFIX = DEFAULT_PARAMETER_PREFIX;
const TTL_SECONDS = DEFAULT_TTL_SECONDS;
const REQUESTS = 1_000;
/** The first requests arrive at once, as a cold container meets a burst. */
const COLD_BURST = 48;
/** The rest spread evenly over two catalog TTLs of simulated time. */
const SPACING_MS = (2 * TTL_SECONDS * 1000) / (REQUESTS - COLD_BURST + 1);
/** A region only the refresh function looks at; its models change before the second refresh. */
const CHANGING_REGION = "eu-north-1";

type Kind = "token" | "models" | "regions" | "health" | "unauthorized" | "bad_request" | "forbidden";

interface Planned {
  kind: Kind;
  event: () => FunctionUrlEvent;
}

const isPoll = (c: Call): boolean => c.action === "GetParameter" && c.name === `${PREFIX}/keys-version`;
const isCatalog = (c: Call): boolean => c.action === "GetParameters" || (c.name?.startsWith(`${PREFIX}/catalogs/`) ?? false);
const isWrite = (c: Call): boolean => /^(Put|Delete)Parameter/.test(c.action);
/** The region a catalog parameter belongs to: P/catalogs/<region>[/<i>]. */
const catalogRegion = (c: Call): string | undefined => c.name?.slice(`${PREFIX}/catalogs/`.length).split("/")[0];

/**
 * Upstream call counts of one warm API container (the real handler with a hand-moved clock,
 * the SSM wire fake, the Mantle emulator) under 1,000 mixed requests spread over two catalog
 * TTLs, next to a separate refresh container that runs on its hourly schedule.
 */
export async function benchCalls(): Promise<Figure[]> {
  const ssm = await SsmFake.start();
  const emulator = await MantleEmulator.start();
  const clock = new ManualClock();
  const env = { MANTLE_VEND_RATE_LIMIT_PER_SECOND: "1000000", MANTLE_VEND_RATE_LIMIT_BURST: "1000000", MANTLE_VEND_CATALOG_TTL_SECONDS: String(TTL_SECONDS) };
  // Lambda's key polling: every 60 s, in the background (pollIntervalMs given → non-blocking).
  const containers = { store: ssmStore(ssm, 2), emulator, clock, env, pollIntervalMs: 60_000 };
  let api: TestService | undefined;
  let refresher: TestService | undefined;
  try {
    api = await startService(containers);
    refresher = await startService(containers);
    const { key } = await api.createKey({ name: "calls" });
    const { key: narrow } = await api.createKey({ name: "calls-narrow", regions: ["us-east-1"] });
    const unknown = `mvk_${"0".repeat(16)}_${"A".repeat(43)}`;
    ssm.resetCalls();
    emulator.resetCalls();

    const body = (region: string): string => JSON.stringify({ region, ttlSeconds: 900 });
    const mix: Planned[] = [
      { kind: "token", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key }) },
      { kind: "models", event: () => functionUrlEvent({ path: "/v1/models", query: "region=us-east-1", key }) },
      { kind: "token", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: body("us-west-2") }) },
      { kind: "unauthorized", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key: unknown }) },
      { kind: "models", event: () => functionUrlEvent({ path: "/v1/models", query: "region=us-west-2", key }) },
      { kind: "token", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key: narrow }) },
      { kind: "regions", event: () => functionUrlEvent({ path: "/v1/regions", key }) },
      { kind: "bad_request", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: '{"ttlSeconds":5}' }) },
      { kind: "models", event: () => functionUrlEvent({ path: "/v1/models", query: "region=eu-west-1", key }) },
      { kind: "token", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: body("eu-west-1") }) },
      { kind: "forbidden", event: () => functionUrlEvent({ method: "POST", path: "/v1/tokens", key: narrow, body: body("eu-west-1") }) },
      { kind: "health", event: () => functionUrlEvent({ path: "/healthz" }) },
      { kind: "unauthorized", event: () => functionUrlEvent({ path: "/v1/models", query: "region=us-east-1" }) },
    ];
    const expected: Record<Kind, number> = { token: 200, models: 200, regions: 200, health: 200, unauthorized: 401, bad_request: 400, forbidden: 403 };

    const served = api;
    const byKind = new Map<Kind, { requests: number; ssm: Call[] }>();
    const apiCalls: Array<{ at: number; calls: Call[] }> = [];
    const observe = async (run: () => Promise<void>): Promise<Call[]> => {
      const before = ssm.calls.length;
      await run();
      await served.settle();
      await ssm.idle();
      return ssm.calls.slice(before);
    };
    const send = async (planned: Planned): Promise<void> => {
      const result = await served.api(planned.event());
      if (result.statusCode !== expected[planned.kind]) throw new Error(`${planned.kind} answered ${result.statusCode}: ${result.body}`);
    };

    const start = clock.now();
    // Cold start: a burst of concurrent requests meets an empty container (and an empty catalog store).
    const coldCalls = await observe(async () => {
      await Promise.all(Array.from({ length: COLD_BURST }, (_, i) => send(mix[i % mix.length] as Planned)));
    });
    const coldMantle = emulator.count({ path: "/v1/models" });

    // Refresh schedule, and Mantle calls per region per TTL window.
    const refreshes: Array<{ at: number; calls: Call[] }> = [];
    let nextRefreshAt = start + TTL_SECONDS * 1000;
    const mantleWindows: Array<Map<string, number>> = [];
    const mantleSnapshot = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const c of emulator.calls) if (c.path === "/v1/models") counts.set(c.region, (counts.get(c.region) ?? 0) + 1);
      return counts;
    };
    const runRefresh = async (): Promise<void> => {
      mantleWindows.push(mantleSnapshot());
      const before = ssm.calls.length;
      await Promise.allSettled((refresher as TestService).config.regions.map((region) => (refresher as TestService).catalogs.refresh(region)));
      await ssm.idle();
      refreshes.push({ at: clock.now(), calls: ssm.calls.slice(before) });
      nextRefreshAt += TTL_SECONDS * 1000;
    };

    for (let i = COLD_BURST; i < REQUESTS; i++) {
      clock.advance(SPACING_MS);
      if (clock.now() >= nextRefreshAt) await runRefresh();
      const planned = mix[i % mix.length] as Planned;
      const calls = await observe(() => send(planned));
      const entry = byKind.get(planned.kind) ?? { requests: 0, ssm: [] };
      entry.requests += 1;
      entry.ssm.push(...calls);
      byKind.set(planned.kind, entry);
      apiCalls.push({ at: clock.now(), calls });
    }
    clock.advance(Math.max(0, nextRefreshAt - clock.now()));
    emulator.setCatalog(CHANGING_REGION, [{ id: "openai.gpt-oss-120b" }, { id: "bench.changed-model" }]);
    await runRefresh();
    mantleWindows.push(mantleSnapshot());
    const end = clock.now();
    log(`call counts: ${REQUESTS} requests over ${Math.round((end - start) / 60_000)} simulated minutes`);

    // SSM calls per token request: token requests never read catalogs; the key-version poll is
    // shared by every request and counted on its own below.
    const tokens = byKind.get("token") ?? { requests: 0, ssm: [] };
    const tokenCalls = tokens.ssm.filter((c) => !isPoll(c));
    const tokenPolls = tokens.ssm.filter(isPoll).length;

    // Mantle calls per region per TTL window (window k = between refresh k-1 and k; the last
    // window is the final refresh itself).
    const windows = mantleWindows.map((snap, k) => {
      const previous = k === 0 ? new Map<string, number>() : (mantleWindows[k - 1] as Map<string, number>);
      const delta = new Map<string, number>();
      for (const [region, count] of snap) delta.set(region, count - (previous.get(region) ?? 0));
      return delta;
    });
    const perRegionMax = Math.max(...windows.flatMap((w) => [...w.values()]));
    const mantleTotal = emulator.count({ path: "/v1/models" });

    // SSM writes per refresh and region: the second refresh finds every region unchanged but one.
    const secondRefresh = refreshes[1] as { calls: Call[] };
    const writesByRegion = new Map<string, number>();
    for (const c of secondRefresh.calls.filter(isWrite)) {
      const region = catalogRegion(c) ?? "?";
      writesByRegion.set(region, (writesByRegion.get(region) ?? 0) + 1);
    }
    const unchangedWrites = [...writesByRegion].filter(([region]) => region !== CHANGING_REGION).map(([, n]) => n);
    const unchangedRegions = (refresher as TestService).config.regions.length - 1;
    const writesPerUnchanged = unchangedWrites.reduce((a, b) => a + b, 0) / unchangedRegions;

    // Steady state: the warm API container after its cold burst, per simulated minute.
    const steady = apiCalls.flatMap((r) => r.calls);
    const steadyMinutes = (apiCalls.at(-1)?.at ?? end) / 60_000 - (start + SPACING_MS) / 60_000;
    const catalogReads = steady.filter(isCatalog).length;
    const nonCatalog = steady.length - catalogReads;
    const polls = steady.filter(isPoll).length;
    const perMinute = nonCatalog / steadyMinutes;

    const ssmOf = (kind: Kind): number => (byKind.get(kind)?.ssm.filter((c) => !isPoll(c)).length ?? 0);
    return [
      {
        section: "call counts",
        name: "SSM calls per token request (warm, besides the shared 60 s key poll)",
        value: round(tokenCalls.length / tokens.requests, 3),
        unit: "calls",
        target: { text: "0", met: tokenCalls.length === 0 },
        detail: {
          "token requests": tokens.requests,
          "key polls that token requests happened to trigger (non-blocking)": tokenPolls,
          "SSM calls of other warm requests besides polls (models/regions/401/400/403/health)": ["models", "regions", "unauthorized", "bad_request", "forbidden", "health"]
            .map((k) => `${k}:${ssmOf(k as Kind)}`)
            .join(" "),
          "cold burst SSM calls (48 concurrent requests, empty container + empty store)": coldCalls.length,
          "cold burst Mantle calls (3 regions, concurrent misses)": coldMantle,
        },
      },
      {
        section: "call counts",
        name: "Mantle GET /v1/models calls per region per catalog TTL (max over regions and TTL windows)",
        value: perRegionMax,
        unit: "calls",
        target: { text: "1", met: perRegionMax === 1 },
        detail: {
          "TTL windows": windows.length,
          "total Mantle calls (API live fetches + 2 scheduled refreshes of 12 regions)": mantleTotal,
          "per window": windows.map((w) => [...w.values()].reduce((a, b) => a + b, 0)).join(" / "),
        },
      },
      {
        section: "call counts",
        name: "SSM writes per region per refresh, models unchanged",
        value: round(writesPerUnchanged, 2),
        unit: "writes",
        target: { text: "1 (the index)", met: writesPerUnchanged === 1 },
        detail: {
          "unchanged regions in the refresh": unchangedRegions,
          [`writes for the one changed region (${CHANGING_REGION}: shards + index)`]: writesByRegion.get(CHANGING_REGION) ?? 0,
          "all SSM calls of that refresh (reads + writes, 12 regions)": secondRefresh.calls.length,
        },
      },
      {
        section: "call counts",
        name: "steady-state SSM calls per warm container per minute (manual clock; catalog reads are once per TTL)",
        value: round(perMinute, 3),
        unit: "calls/min",
        target: { text: "<= 1", met: perMinute <= 1 },
        detail: {
          "simulated minutes": round(steadyMinutes, 1),
          "key-version polls": polls,
          "key reloads (GetParametersByPath)": steady.filter((c) => c.action === "GetParametersByPath").length,
          "catalog-overrides reads (only after a keys-version change)": steady.filter((c) => c.name?.startsWith(`${PREFIX}/catalog-overrides`) ?? false).length,
          "catalog reads at TTL boundaries (3 regions)": catalogReads,
          "all SSM calls per minute incl. catalog reads": round(steady.length / steadyMinutes, 3),
        },
      },
    ];
  } finally {
    await api?.close();
    await refresher?.close();
    await emulator.close();
    await ssm.close();
  }
}
