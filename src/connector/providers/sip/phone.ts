// One baresip process under supervision: started with a configuration of its
// own, reached through ctrl_tcp, and started again with back-off when it dies.
// Or, with `control`, a baresip someone else runs (we only reconnect to it).
//
// Measured on baresip 1.0.0: events sent before a client connects are lost,
// so after every (re)connect the registration state is read with `reginfo`;
// if ctrl_tcp could not bind its port, baresip keeps running without it, so a
// control port that never answers means: stop that process and try new ports.
import { Backoff } from '../../backoff.ts';
import { LineProviderError } from '../../line-provider.ts';
import { spawnBaresip } from './baresip-process.ts';
import type { BaresipProcess } from './baresip-process.ts';
import { CtrlClient } from './ctrl-client.ts';
import { accountAor, parseRegInfo } from './messages.ts';
import type { CtrlEvent, CtrlResponse, Registration } from './messages.ts';

export interface PhoneConfig {
  /** Account lines (`<sip:25@pbx>;auth_pass=…`); each account is one line. */
  readonly accounts: readonly string[];
  /** Attach to a running baresip's ctrl_tcp instead of starting one. */
  readonly control?: { readonly host: string; readonly port: number };
}

export interface PhoneHooks {
  onEvent(event: CtrlEvent): void;
  /** The phone went away (process died, connection lost); it is being restarted. */
  onDown(reason: string): void;
  /** The phone is (back) under control; registrations as `reginfo` reports them. */
  onUp(registrations: ReadonlyMap<string, Registration>): void;
  log(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export interface PhoneOptions {
  readonly binary?: string;
  readonly modulePath?: string;
  readonly host?: string;
  /** How long `start` waits for every account to register (default 5 s). */
  readonly registerTimeoutMs?: number;
  readonly restartBackoff?: { readonly baseMs: number; readonly capMs: number };
  readonly random?: () => number;
}

const CONNECT_POLL_MS = 50;
const CONNECT_DEADLINE_MS = 5_000;
const START_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Phone {
  readonly aors: readonly string[];
  private process: BaresipProcess | undefined;
  private client: CtrlClient | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** Serialises command groups (uafind + callfind + accept) so two never interleave. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: PhoneConfig,
    private readonly options: PhoneOptions,
    private readonly hooks: PhoneHooks,
  ) {
    this.aors = config.accounts.map(accountAor);
    const b = options.restartBackoff ?? { baseMs: 250, capMs: 10_000 };
    this.backoff = new Backoff({ ...b, random: options.random ?? Math.random });
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get up(): boolean {
    return this.client !== undefined && !this.client.isClosed;
  }

  /** Starts (or attaches) and waits for registration; rejects with provider-down. */
  async start(): Promise<ReadonlyMap<string, Registration>> {
    this.stopped = false;
    let last: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS && !this.stopped; attempt++) {
      try {
        return await this.startOnce();
      } catch (err) {
        last = err;
        await this.process?.stop();
        this.process = undefined;
      }
    }
    if (last instanceof LineProviderError) throw last;
    throw new LineProviderError('provider-down', `baresip could not be started: ${String(last)}`, { cause: last });
  }

  /** Runs `steps` with the control connection, no other group in between. */
  run<T>(steps: (command: (name: string, params?: string) => Promise<CtrlResponse>) => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      const client = this.client;
      if (client === undefined || client.isClosed) throw new LineProviderError('provider-down', 'baresip is not running');
      return steps((name, params) => client.command(name, params));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.client?.close();
    this.client = undefined;
    await this.process?.stop();
    this.process = undefined;
  }

  private async startOnce(): Promise<ReadonlyMap<string, Registration>> {
    let host = '127.0.0.1';
    let port: number;
    if (this.config.control !== undefined) {
      ({ host, port } = this.config.control);
    } else {
      this.process = await spawnBaresip({ binary: this.options.binary, modulePath: this.options.modulePath, accounts: this.config.accounts, host: this.options.host });
      port = this.process.ctrlPort;
      this.process.child.once('exit', (code, signal) => {
        if (!this.stopped) this.hooks.log('warn', 'baresip exited', { code, signal });
      });
    }
    const client = await this.connect(host, port);
    const registrations = await this.awaitRegistration(client);
    // Only now is a lost connection a phone that went away (not a start that failed).
    this.client = client;
    this.backoff.reset();
    this.hooks.log('info', 'baresip under control', { pid: this.process?.pid, ctrlPort: port, lines: this.aors });
    return registrations;
  }

  private async connect(host: string, port: number): Promise<CtrlClient> {
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
    for (;;) {
      const proc = this.process;
      if (proc !== undefined && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
        throw new LineProviderError('provider-down', `baresip exited at start: ${proc.output().trim().split('\n').slice(-3).join(' | ')}`);
      }
      if (proc !== undefined && /ctrl_tcp: failed to listen/.test(proc.output())) throw new LineProviderError('provider-down', 'ctrl_tcp could not bind its port');
      try {
        const client: CtrlClient = await CtrlClient.connect({
          host,
          port,
          onEvent: (event) => this.hooks.onEvent(event),
          onClose: (reason) => {
            if (this.client === client) this.lost(reason);
          },
        });
        return client;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(CONNECT_POLL_MS);
      }
    }
  }

  /** Reads `reginfo` until every account has an answer from the registrar (or the deadline). */
  private async awaitRegistration(client: CtrlClient): Promise<ReadonlyMap<string, Registration>> {
    const deadline = Date.now() + (this.options.registerTimeoutMs ?? 5_000);
    for (;;) {
      const info = parseRegInfo((await client.command('reginfo')).data);
      // Another program on this port (our baresip lost the race for it) would list other accounts.
      if (!this.aors.every((aor) => info.has(aor))) {
        client.close();
        throw new LineProviderError('provider-down', 'the control port answers for other accounts than ours');
      }
      const settled = this.aors.every((aor) => info.get(aor) !== 'unknown');
      if (settled || Date.now() > deadline) return info;
      await sleep(100);
    }
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.client = undefined;
    this.hooks.onDown(reason);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.hooks.log('warn', 'baresip is away; restarting', { delayMs: delay, attempt: this.backoff.attempt });
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    await this.process?.stop();
    this.process = undefined;
    if (this.stopped) return;
    try {
      const registrations = await this.startOnce();
      if (this.stopped) return;
      this.hooks.onUp(registrations);
    } catch (err) {
      this.client?.close();
      this.client = undefined;
      this.hooks.log('warn', 'baresip restart failed', { error: (err as Error).message });
      this.scheduleRestart();
    }
  }
}
