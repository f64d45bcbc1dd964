import { isRecord } from "../guards.js";
import { JsonFile, type JsonFileOptions } from "../store/index.js";
import { NAME, QUOTA, type Counter, type CounterStore, type CountRequest, type UsageRow, type UsageSource } from "./counters.js";
import { LimitsUnavailableError } from "./errors.js";

/** One counter as the file keeps it. */
interface Entry {
  count: number;
  expiresAt: number;
  name?: string;
  quota?: number;
}

function isEntry(value: unknown): value is Entry {
  return isRecord(value) && typeof value.count === "number" && typeof value.expiresAt === "number";
}

function entries(parsed: unknown): Record<string, Entry> {
  if (!isRecord(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, Entry] => isEntry(entry[1])));
}

const keyOf = (counter: Counter): string => `${counter.pk} ${counter.sk}`;

/** At most one write of the file per this many ms: under load the writes would crowd the file I/O every request does. */
const WRITE_EVERY_MS = 250;

/**
 * The fleet's counters for `npm start`, kept in `<data-dir>/limits.json` so they survive a restart and
 * `mantle-vend-admin usage --local` can read them. The process counts in memory (loaded from the file
 * at first use), so a token request costs no file write of its own; the changes are written behind,
 * at most every WRITE_EVERY_MS, each write adding this process's changes to what the file holds under
 * its lock. One local server per data dir counts exactly; two sharing one each enforce caps on their
 * own counts.
 */
export class FileCounters implements CounterStore, UsageSource {
  private readonly file: JsonFile<Entry>;
  private state: Promise<Map<string, Entry>> | undefined;
  /** Changes not yet in the file: per counter, the count to add and the attributes to set. */
  private pending = new Map<string, Entry>();
  private flushing: Promise<void> | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  /** The write of changes that came within WRITE_EVERY_MS of the last one. */
  private later: NodeJS.Timeout | undefined;

  constructor(
    dir: string,
    private readonly clock: () => number = Date.now,
    options: JsonFileOptions = {},
  ) {
    this.file = new JsonFile(dir, "limits.json", entries, { durable: false, ...options });
  }

  async increment(request: CountRequest): Promise<number | undefined> {
    const state = await this.load();
    const key = keyOf(request.counter);
    const entry = state.get(key) ?? { count: 0, expiresAt: request.expiresAtSeconds };
    if (request.cap !== undefined && entry.count >= request.cap) return undefined;
    const next = withAttributes({ ...entry, count: entry.count + 1 }, request.attributes);
    state.set(key, next);
    this.change(key, 1, next);
    return next.count;
  }

  async decrement(counter: Counter): Promise<void> {
    const state = await this.load();
    const key = keyOf(counter);
    const entry = state.get(key);
    if (entry === undefined) return;
    entry.count -= 1;
    this.change(key, -1, entry);
  }

  /** A day's usage as the file holds it, after this process's own changes are written. */
  async day(day: string): Promise<UsageRow[]> {
    await this.settled();
    const prefix = `day#${day} `;
    const all = await this.call(`read the usage of ${day}`, () => this.file.read());
    return Object.entries(all)
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, entry]) => ({ principal: key.slice(prefix.length), name: entry.name ?? "", mints: entry.count, quota: entry.quota ?? null }));
  }

  /** Writes every change made so far now, and resolves once it is in the file (or its write failed). */
  async settled(): Promise<void> {
    for (let writes = 0; writes < 100 && (this.flushing !== undefined || this.pending.size > 0); writes += 1) {
      clearTimeout(this.later);
      this.later = undefined;
      this.flushing ??= this.flush();
      await this.flushing;
    }
  }

  private load(): Promise<Map<string, Entry>> {
    this.state ??= this.call("read the counters", async () => new Map(Object.entries(await this.file.read())));
    // A failed first read is tried again on the next request.
    this.state.catch(() => (this.state = undefined));
    return this.state;
  }

  private change(key: string, delta: number, entry: Entry): void {
    const before = this.pending.get(key);
    this.pending.set(key, { ...entry, count: (before?.count ?? 0) + delta });
    this.schedule();
  }

  /** Starts a write now, or once WRITE_EVERY_MS has passed since the last one began. */
  private schedule(): void {
    if (this.flushing !== undefined || this.later !== undefined || this.pending.size === 0) return;
    const wait = this.lastWriteAt + WRITE_EVERY_MS - performance.now();
    if (wait <= 0) {
      this.flushing = this.flush();
      return;
    }
    this.later = setTimeout(() => {
      this.later = undefined;
      this.schedule();
    }, wait);
  }

  /** Writes the pending changes; a failed write keeps them for the next. */
  private async flush(): Promise<void> {
    this.lastWriteAt = performance.now();
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.file.update((all) => {
        const now = this.clock() / 1000;
        for (const [key, entry] of Object.entries(all)) if (entry.expiresAt < now) delete all[key];
        for (const [key, change] of batch) {
          const stored = all[key];
          all[key] = { ...change, count: (stored?.count ?? 0) + change.count };
        }
      });
    } catch {
      for (const [key, change] of batch) {
        const newer = this.pending.get(key);
        this.pending.set(key, { ...(newer ?? change), count: change.count + (newer?.count ?? 0) });
      }
    } finally {
      this.flushing = undefined;
      this.schedule();
    }
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new LimitsUnavailableError(action, { cause: error });
    }
  }
}

function withAttributes(entry: Entry, attributes: CountRequest["attributes"] = {}): Entry {
  const next = { ...entry };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === NAME && typeof value === "string") next.name = value;
    if (name === QUOTA) {
      if (typeof value === "number") next.quota = value;
      else delete next.quota;
    }
  }
  return next;
}
