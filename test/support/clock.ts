/** A clock the test moves by hand: nothing in a suite waits on real time. */
export class ManualClock {
  constructor(private ms: number = Date.parse("2026-11-25T12:00:00Z")) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
