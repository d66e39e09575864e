// Test doubles that are not network: a virtual clock that records the waits
// the client asks for, and a logger that keeps every line for secret checks.
import type { Clock, DataverseLogger } from '../../../src/dataverse/web-api/types.ts';

export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public nowMs = Date.UTC(2025, 0, 15, 9, 0, 0)) {}
  now(): number {
    return this.nowMs;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.nowMs += ms;
  }
}

export class MemoryLogger implements DataverseLogger {
  readonly lines: string[] = [];
  private put(level: string, obj: object, msg: string): void {
    this.lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  }
  debug(obj: object, msg: string): void { this.put('debug', obj, msg); }
  info(obj: object, msg: string): void { this.put('info', obj, msg); }
  warn(obj: object, msg: string): void { this.put('warn', obj, msg); }
  error(obj: object, msg: string): void { this.put('error', obj, msg); }
}
