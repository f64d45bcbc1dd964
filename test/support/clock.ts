/** A clock the test moves by hand: nothing in a suite waits on real time. */
export class ManualClock {
  private readonly timers = new Set<{ at: number; fire: () => void }>();

  constructor(private ms: number = Date.parse("2026-11-25T12:00:00Z")) {}

  readonly now = (): number => this.ms;

  /** A wait on this clock: it ends when the test advances the clock past it, or when aborted. */
  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = { at: this.ms + ms, fire: resolve };
      this.timers.add(timer);
      signal.addEventListener("abort", () => {
        this.timers.delete(timer);
        reject(signal.reason);
      }, { once: true });
      this.fireDue();
    });

  /** How many waits are on this clock now: a test can see a wait start before it moves time. */
  get waiting(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.ms += ms;
    this.fireDue();
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }

  private fireDue(): void {
    for (const timer of this.timers) {
      if (timer.at <= this.ms) {
        this.timers.delete(timer);
        timer.fire();
      }
    }
  }
}
