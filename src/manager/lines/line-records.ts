// User line records for reported lines (manual 3.2.3): for every line a
// connector reports and the CRM has no record of, one record
// `<connector host>:<line>` is created under the auto-created site, and
// never touched again. Creation is serialised per line, repeated with
// back-off while the CRM is away, and keyed by an id derived from the line,
// so two managers (or two reports of one line) end with one record.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { LineConfigRecord, LineConfigRepository } from '../../dataverse/repositories/index.ts';
import type { LineEvent, ReportedLine } from '../contracts.ts';

export interface LineRecordKeeperOptions {
  repository: Pick<LineConfigRepository, 'listAll' | 'ensureUserLine'>;
  siteId: string;
  /** The organisation, so ids of one line differ between organisations. */
  organisation: string;
  logger: Logger;
  /** First retry delay after a failed creation; doubled up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** A name-based UUID (version 5 layout, SHA-1): the same line gives the same record id everywhere. */
export function lineRecordId(organisation: string, line: string): string {
  const hash = createHash('sha1').update(`crm-tapi/line-record/${organisation.toLowerCase()}/${line}`, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class LineRecordKeeper {
  /** Full line name → its user line records (several when admins added records by hand). */
  readonly #records = new Map<string, LineConfigRecord[]>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #retry = new Map<string, { line: ReportedLine; attempts: number; timer: ReturnType<typeof setTimeout> }>();
  #stopped = false;
  #created = 0;

  constructor(private readonly options: LineRecordKeeperOptions) {}

  /** Records created by this manager since start. */
  get created(): number {
    return this.#created;
  }

  /** Reads every user line record (at start, and with every refresh of the directory). */
  async refresh(): Promise<void> {
    const all = await this.options.repository.listAll();
    this.#records.clear();
    for (const r of all) {
      if (r.kind !== 'userLine' || r.line === undefined) continue;
      const list = this.#records.get(r.line) ?? [];
      list.push(r);
      this.#records.set(r.line, list);
    }
  }

  /** Users the CRM has configured for a line (records with a user). */
  usersOf(line: string): number {
    return (this.#records.get(line) ?? []).filter((r) => r.userId !== undefined).length;
  }

  /** Every known user line record (diagnose: lines in the entity). */
  records(): LineConfigRecord[] {
    return [...this.#records.values()].flat();
  }

  /** Subscribe this to the connector side's line events. */
  handle(event: LineEvent): void {
    if (event.kind === 'added') void this.ensure(event.line);
  }

  /** Makes sure a record exists for `line`; resolves when done (or when a retry is scheduled). Never rejects. */
  ensure(line: ReportedLine): Promise<void> {
    if (this.#stopped || this.#records.has(line.line)) return Promise.resolve();
    const running = this.#inFlight.get(line.line);
    if (running !== undefined) return running;
    const work = this.#create(line).finally(() => this.#inFlight.delete(line.line));
    this.#inFlight.set(line.line, work);
    return work;
  }

  /** Resolves when no creation runs (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Pending retries: lines still without a record because the CRM failed. */
  get waiting(): number {
    return this.#retry.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const r of this.#retry.values()) clearTimeout(r.timer);
    this.#retry.clear();
  }

  async #create(line: ReportedLine): Promise<void> {
    const { repository, siteId, organisation, logger } = this.options;
    try {
      const result = await repository.ensureUserLine(line.connectorHost, line.localName, siteId, undefined, lineRecordId(organisation, line.line));
      this.#records.set(line.line, result.records);
      this.#clearRetry(line.line);
      if (result.created) {
        this.#created += 1;
        logger.info({ line: line.line, id: result.records[0]?.id }, 'user line record created');
      }
    } catch (err) {
      this.#scheduleRetry(line, err);
    }
  }

  #scheduleRetry(line: ReportedLine, err: unknown): void {
    if (this.#stopped) return;
    const previous = this.#retry.get(line.line);
    const attempts = (previous?.attempts ?? 0) + 1;
    const base = this.options.retryBaseMs ?? 5_000;
    const delay = Math.min(this.options.retryMaxMs ?? 300_000, base * 2 ** (attempts - 1));
    const code = (err as { code?: unknown }).code;
    this.options.logger.warn({ line: line.line, code, attempts, delayMs: delay }, `cannot create the user line record yet: ${(err as Error).message}`);
    if (previous !== undefined) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      void this.ensure(line);
    }, delay);
    timer.unref();
    this.#retry.set(line.line, { line, attempts, timer });
  }

  #clearRetry(name: string): void {
    const r = this.#retry.get(name);
    if (r === undefined) return;
    clearTimeout(r.timer);
    this.#retry.delete(name);
  }
}
