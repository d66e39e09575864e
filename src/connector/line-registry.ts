// The lines the manager has been told about. Every change of the provider's
// line list goes through `sync`, which turns the difference into the
// protocol's lineAdded / lineRemoved / lineState events, so the manager's view
// and ours cannot drift apart however the provider reports changes.
import type { LineInfo } from './line-provider.ts';
import type { OutgoingEvent } from './event-buffer.ts';
import { isReportedLine, lineAdded, lineRemoved, lineState } from './wire.ts';

function sameLine(a: LineInfo, b: LineInfo): boolean {
  return a.address === b.address && a.permanentId === b.permanentId && a.mediaModes.join() === b.mediaModes.join() && (a.controls ?? []).join() === (b.controls ?? []).join();
}

export class LineRegistry {
  readonly #lines = new Map<string, LineInfo>();

  constructor(
    private readonly includeVideo: boolean,
    /** The live RejectViaDisconnect, reported with each added line. */
    private readonly rejectAllowed?: () => boolean,
  ) {}

  has(name: string): boolean {
    return this.#lines.has(name);
  }

  get(name: string): LineInfo | undefined {
    return this.#lines.get(name);
  }

  all(): LineInfo[] {
    return [...this.#lines.values()];
  }

  /** Replaces the set with what the provider reports now; returns the events that tell the manager. */
  sync(current: readonly LineInfo[]): OutgoingEvent[] {
    const events: OutgoingEvent[] = [];
    const next = new Map(current.filter((l) => isReportedLine(l, this.includeVideo)).map((l) => [l.name, l]));
    for (const name of this.#lines.keys()) {
      if (!next.has(name)) {
        this.#lines.delete(name);
        events.push(lineRemoved(name));
      }
    }
    for (const [name, line] of next) {
      const known = this.#lines.get(name);
      if (known === undefined || !sameLine(known, line)) events.push(lineAdded(line, this.rejectAllowed?.()));
      else if (known.inService !== line.inService) events.push(lineState(name, line.inService));
      this.#lines.set(name, line);
    }
    return events;
  }

  /** A line went in or out of service; returns the event, or nothing for an unreported or unchanged line. */
  setInService(name: string, inService: boolean): OutgoingEvent[] {
    const known = this.#lines.get(name);
    if (known === undefined || known.inService === inService) return [];
    this.#lines.set(name, { ...known, inService });
    return [lineState(name, inService)];
  }

  /** Marks every line out of service (the phone system went away). */
  allOutOfService(): OutgoingEvent[] {
    return [...this.#lines.keys()].flatMap((name) => this.setInService(name, false));
  }
}
