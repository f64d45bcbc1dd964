import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { MantleVendError } from "../../../client/src/errors.js";
import { CATALOG_WAIT_MS, RoutingCatalog } from "../../../client/src/proxy/catalog.js";
import { settleWithin } from "../../../client/src/proxy/deadline.js";
import type { Catalog } from "../../../client/src/types.js";
import { ManualClock } from "../../support/clock.js";
import { parsedCatalog } from "../../support/incoming.js";

const clockSleep = (clock: ManualClock) => (ms: number, signal?: AbortSignal): Promise<void> => clock.sleep(ms, signal ?? new AbortController().signal).catch(() => undefined);

describe("a bounded wait takes what has settled without a timer, and gives up on what has not", () => {
  it("a settled value or error is taken at once: no wait is started", async () => {
    const sleep = vi.fn(async () => undefined);
    expect(await settleWithin(Promise.resolve(1), 1_000, sleep)).toEqual({ kind: "value", value: 1 });
    const error = new Error("refused");
    expect(await settleWithin(Promise.reject(error), 1_000, sleep)).toEqual({ kind: "error", error });
    expect(sleep).not.toHaveBeenCalled();
  });

  it("pending work: its value if it comes within the wait, else late (and the wait is ended either way)", async () => {
    const clock = new ManualClock();
    let resolve: (value: number) => void = () => undefined;
    const work = new Promise<number>((r) => (resolve = r));
    const late = settleWithin(work, 1_000, clockSleep(clock));
    await nextTurn();
    clock.advance(999);
    await nextTurn();
    let settled = false;
    void late.then(() => (settled = true));
    await nextTurn();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await late).toEqual({ kind: "late" });
    const second = settleWithin(work, 1_000, clockSleep(clock));
    await nextTurn();
    resolve(7);
    expect(await second).toEqual({ kind: "value", value: 7 });
  });
});

describe("the catalog the proxy routes by", () => {
  const catalog = parsedCatalog();

  it("current: the client's catalog with no note; stale from the service: the note says so", async () => {
    const log = vi.fn();
    let next: Catalog = catalog;
    const routing = new RoutingCatalog(async () => next, clockSleep(new ManualClock()), log);
    expect(await routing.current()).toEqual({ catalog, note: undefined });
    next = Object.freeze({ ...catalog, stale: true });
    expect(await routing.current()).toEqual({ catalog: next, note: "stale" });
    expect(log).toHaveBeenCalledTimes(1);
  });

  it("a load that outlasts the wait: the held catalog, stale, after at most CATALOG_WAIT_MS; later requests do not wait for it", async () => {
    const clock = new ManualClock();
    const log = vi.fn();
    let load: () => Promise<Catalog> = async () => catalog;
    const routing = new RoutingCatalog(() => load(), clockSleep(clock), log);
    await routing.current();
    let release: (c: Catalog) => void = () => undefined;
    const pending = new Promise<Catalog>((r) => (release = r));
    load = () => pending;
    const first = routing.current();
    await nextTurn();
    clock.advance(CATALOG_WAIT_MS);
    expect(await first).toEqual({ catalog, note: "stale; reason=no_answer" });
    expect(await routing.current()).toEqual({ catalog, note: "stale; reason=no_answer" }); // no clock moved: no wait
    expect(log).toHaveBeenCalledTimes(1);
    release(catalog);
    await nextTurn();
    load = async () => catalog;
    expect(await routing.current()).toEqual({ catalog, note: undefined });
    expect(log).toHaveBeenLastCalledWith("proxy: routing by a current team catalog again");
  });

  it("none held and the client fails: unavailable, with the client's error code as the reason, logged once", async () => {
    const log = vi.fn();
    const error = new MantleVendError({ status: 0, code: "network_error", message: "cannot reach http://127.0.0.1:9: ECONNREFUSED" });
    const routing = new RoutingCatalog(async () => Promise.reject(error), clockSleep(new ManualClock()), log);
    for (let i = 0; i < 3; i++) expect(await routing.current()).toEqual({ catalog: undefined, note: "unavailable; reason=network_error" });
    expect(log.mock.calls).toEqual([["proxy: no catalog to route by, requests go on unrouted: cannot reach http://127.0.0.1:9: ECONNREFUSED (network_error)"]]);
  });
});
