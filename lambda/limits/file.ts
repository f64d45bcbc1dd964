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

/**
 * The fleet's counters for `npm start`: `<data-dir>/limits.json`, shared by the local server and
 * `mantle-vend-admin usage --local`, with the table's semantics (a capped increment is atomic across
 * processes; expired counters are dropped on the next write).
 */
export class FileCounters implements CounterStore, UsageSource {
  private readonly file: JsonFile<Entry>;

  constructor(
    dir: string,
    private readonly clock: () => number = Date.now,
    options: JsonFileOptions = {},
  ) {
    this.file = new JsonFile(dir, "limits.json", entries, options);
  }

  increment(request: CountRequest): Promise<number | undefined> {
    return this.call("count a request", () =>
      this.file.update((all) => {
        const now = this.clock() / 1000;
        for (const [name, entry] of Object.entries(all)) if (entry.expiresAt < now) delete all[name];
        const key = keyOf(request.counter);
        const entry = all[key] ?? { count: 0, expiresAt: request.expiresAtSeconds };
        if (request.cap !== undefined && entry.count >= request.cap) return undefined;
        const next: Entry = { ...entry, count: entry.count + 1 };
        for (const [name, value] of Object.entries(request.attributes ?? {})) {
          if (name === NAME && typeof value === "string") next.name = value;
          if (name === QUOTA) {
            if (typeof value === "number") next.quota = value;
            else delete next.quota;
          }
        }
        all[key] = next;
        return next.count;
      }),
    );
  }

  decrement(counter: Counter): Promise<void> {
    return this.call("give back a count", () =>
      this.file.update((all) => {
        const entry = all[keyOf(counter)];
        if (entry !== undefined) entry.count -= 1;
      }),
    );
  }

  day(day: string): Promise<UsageRow[]> {
    return this.call(`read the usage of ${day}`, async () => {
      const prefix = `day#${day} `;
      return Object.entries(await this.file.read())
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => ({ principal: key.slice(prefix.length), name: entry.name ?? "", mints: entry.count, quota: entry.quota ?? null }));
    });
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new LimitsUnavailableError(action, { cause: error });
    }
  }
}
