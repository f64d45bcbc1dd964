import { bootLambda } from "./boot.js";
import { describeError } from "./logger.js";
import { createCatalogs } from "./service.js";

// The refresh runs the catalog only: no key cache, no HTTP API.
const boot = bootLambda();
const { config, log, metrics } = boot;
const catalogs = createCatalogs(boot);

export interface RefreshSummary {
  regions: number;
  refreshed: string[];
  changed: string[];
  failed: string[];
  durationMs: number;
}

/**
 * The scheduled catalog refresh: every allowed region at once, each on its own, so one
 * failing region never holds back the others or overwrites its own last good catalog.
 * It fails the invocation only when every region failed, which is what an alarm on the
 * function's Errors metric should see.
 */
export async function handler(): Promise<RefreshSummary> {
  const started = Date.now();
  const outcomes = await Promise.allSettled(config.regions.map((region) => catalogs.refresh(region)));
  const summary: RefreshSummary = { regions: config.regions.length, refreshed: [], changed: [], failed: [], durationMs: 0 };
  const now = Date.now();
  const ages = outcomes.map(async (outcome, i): Promise<void> => {
    const region = config.regions[i] as string;
    if (outcome.status === "fulfilled") {
      summary.refreshed.push(region);
      if (outcome.value.changed) summary.changed.push(region);
      metrics.catalog(region, (now - Date.parse(outcome.value.checkedAt)) / 1000, false);
      return;
    }
    summary.failed.push(region);
    log.warn("catalog refresh failed", { region, ...describeError(outcome.reason) });
    // The age of what the region keeps serving; none is known when it was never stored or the store is down.
    const checkedAt = await catalogs.storedCheckedAt(region).catch(() => undefined);
    metrics.catalog(region, checkedAt === undefined ? Number.NaN : (now - Date.parse(checkedAt)) / 1000, true);
  });
  await Promise.all(ages);
  summary.durationMs = Date.now() - started;
  log.info("catalog refresh", { ...summary });
  if (summary.refreshed.length === 0) throw new Error(`catalog refresh failed in all ${summary.regions} regions`);
  return summary;
}
