/**
 * One piece of work in flight per key: callers that ask while it runs share its promise, and it is
 * forgotten once it settles, so the next caller starts a new one.
 */
export class SingleFlight<K, V> {
  private readonly pending = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    let promise = this.pending.get(key);
    if (promise === undefined) {
      promise = work().finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }
}
