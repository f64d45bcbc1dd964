/**
 * Concurrent callers of the same work share one run: one store read for a cold region, one
 * version check for a flood of requests. A run that settles is forgotten, so the next call starts
 * a new one.
 */
export class SingleFlight<V, K = string> {
  private readonly running = new Map<K, Promise<V>>();

  /** `work()`, or the run already under way for `key`. */
  run(key: K, work: () => Promise<V>): Promise<V> {
    let pending = this.running.get(key);
    if (pending === undefined) {
      pending = work().finally(() => this.running.delete(key));
      this.running.set(key, pending);
    }
    return pending;
  }

  /** The run under way for `key`, if any. */
  current(key: K): Promise<V> | undefined {
    return this.running.get(key);
  }
}
