/**
 * The proxy's log as a long-running tool needs it: a line that repeats (a revoked key fails every
 * request the same way) is written once a minute with how often it recurred, not once a request.
 */
export class LogThrottle {
  private readonly seen = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 60_000,
  ) {}

  readonly log = (line: string): void => {
    const now = this.now();
    const last = this.seen.get(line);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.repeats++;
      return;
    }
    this.write(last !== undefined && last.repeats > 0 ? `${line} (${last.repeats} more since it was last logged)` : line);
    this.seen.delete(line);
    this.seen.set(line, { at: now, repeats: 0 });
    // Bounded: lines not seen for an interval are forgotten, oldest first (a Map keeps insertion order).
    for (const [text, entry] of this.seen) {
      if (this.seen.size <= 256 && now - entry.at < this.intervalMs) break;
      this.seen.delete(text);
    }
  };
}
