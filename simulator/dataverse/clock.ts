// The simulator's clock. Tests set or advance it to drive createdon/modifiedon, token expiry and
// change-tracking retention without waiting; by default it follows the wall clock.

export interface SimClock {
  /** Milliseconds since the epoch, as the simulator sees it. */
  now(): number;
}

/** A clock that follows the wall clock plus an offset, or stands still once `set`. */
export class ControllableClock implements SimClock {
  private offset = 0;
  private frozenAt: number | undefined;

  constructor(private readonly wall: () => number = Date.now) {}

  now(): number {
    return this.frozenAt ?? this.wall() + this.offset;
  }

  /** Freezes the clock at `ms` (epoch milliseconds) until `resume()`. */
  set(ms: number): void {
    this.frozenAt = ms;
  }

  /** Moves the clock forward (or back for negative values). */
  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offset += ms;
  }

  /** Follows the wall clock again, keeping the current reading. */
  resume(): void {
    if (this.frozenAt === undefined) return;
    this.offset = this.frozenAt - this.wall();
    this.frozenAt = undefined;
  }
}

/** Dataverse writes date-times in UTC with second precision: 2024-03-01T09:30:00Z. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
