// Unauthenticated attackers on real sockets: silent TCP connections kept
// topped up to a count, slowloris writers, and connections from another
// loopback address (Linux routes all of 127.0.0.0/8 to lo, so 127.0.0.2 is a
// different peer for the manager). Everything stops by itself on stop().
import { connect, type Socket } from 'node:net';

export interface AttackOptions {
  port: number;
  /** Connections to hold open at once. */
  count: number;
  /** How often closed ones are replaced (the attacker: every 2 s). */
  topUpMs: number;
  /** Source address (default 127.0.0.2, another peer than the legitimate client). */
  from?: string;
  /** Slowloris: write this every `dripMs` on each connection (default: silent). */
  drip?: { bytes: string | Buffer; everyMs: number; first?: string | Buffer };
}

export class SilentSwarm {
  readonly #open = new Set<Socket>();
  readonly #timers: NodeJS.Timeout[] = [];
  /** Connections opened in total, and how many the server closed. */
  opened = 0;
  closedByServer = 0;
  #stopped = false;

  constructor(private readonly o: AttackOptions) {}

  get openNow(): number {
    return this.#open.size;
  }

  start(): this {
    this.#topUp();
    this.#timers.push(setInterval(() => this.#topUp(), this.o.topUpMs));
    if (this.o.drip) {
      const { bytes, everyMs } = this.o.drip;
      this.#timers.push(setInterval(() => {
        for (const s of this.#open) if (s.writable) s.write(bytes);
      }, everyMs));
    }
    return this;
  }

  #topUp(): void {
    if (this.#stopped) return;
    for (let i = this.#open.size; i < this.o.count; i += 1) {
      const s = connect({ host: '127.0.0.1', port: this.o.port, localAddress: this.o.from ?? '127.0.0.2' });
      this.opened += 1;
      this.#open.add(s);
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      if (this.o.drip?.first !== undefined) s.write(this.o.drip.first);
      s.on('close', () => {
        this.#open.delete(s);
        if (!this.#stopped) this.closedByServer += 1;
      });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    const all = [...this.#open];
    for (const s of all) s.destroy();
    await Promise.all(all.map((s) => new Promise<void>((r) => (s.destroyed && s.closed ? r() : s.once('close', () => r())))));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
