// The manager's two kinds of time, kept apart by type (DESIGN.md "Time"):
// - `MonoMs`: a monotonic clock (performance.now()). Durations, timeouts,
//   sweeps, rate limits and ages use it; it never jumps with NTP or DST.
// - `EpochMs`: wall time (Date.now()). Only for what people read or the CRM
//   stores: timestamps in logs, notifications, records.
// The brands make `mono - wall` a type error: a sweep that compared a
// performance.now() stamp with Date.now() ended every call within a minute
// (issue 11, break 1). One `ManagerClock` is made at the composition root
// (manager.ts) and handed to every part.
// - `wallTimers`: timers on wall time, for what an operator schedules by the
//   clock on the wall (the daily directory refresh at a local time of day,
//   across daylight-saving changes). Part of the same clock, so a virtual
//   clock given to the manager moves the schedule too (issue 11, case 6).
import { systemClock as systemWallTimers, type Clock as WallTimers } from '../dataverse/directory/clock.ts';

export type { WallTimers };

declare const monotonicBrand: unique symbol;
declare const epochBrand: unique symbol;

/** Milliseconds on the monotonic clock; meaningful only as a difference to another `MonoMs`. */
export type MonoMs = number & { readonly [monotonicBrand]: true };
/** Milliseconds since 1970-01-01 UTC (wall time). */
export type EpochMs = number & { readonly [epochBrand]: true };

export interface ManagerClock {
  /** Monotonic now: for durations. */
  mono(): MonoMs;
  /** Wall now: for what people read or the CRM stores. */
  wall(): EpochMs;
  /** Timers on wall time (its `now()` is `wall()`); absent = the system's. */
  readonly wallTimers?: WallTimers;
}

export const systemClock: ManagerClock = {
  mono: () => performance.now() as MonoMs,
  wall: () => Date.now() as EpochMs,
  wallTimers: systemWallTimers,
};

/** The clock's wall-time timers (the system's when it has none). */
export function wallTimersOf(clock: ManagerClock): WallTimers {
  return clock.wallTimers ?? systemWallTimers;
}

/** How long ago `since` was on the monotonic clock. */
export function elapsed(now: MonoMs, since: MonoMs): number {
  return now - since;
}

/** A monotonic instant `ms` after `at`. */
export function later(at: MonoMs, ms: number): MonoMs {
  return (at + ms) as MonoMs;
}
