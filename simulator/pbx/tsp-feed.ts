// The simulated PBX as the switch behind the fake TSP (native/fake): every
// event of the PBX becomes a control command that makes the fake queue the
// TAPI messages a real TSP would, and every request of the TAPI application
// (lineMakeCall, lineAnswer, lineDrop, lineHold, lineUnhold, lineBlindTransfer,
// lineSetupTransfer, lineDial, lineCompleteTransfer) is carried out on the PBX
// and answered with LINE_REPLY. So the same scenario drives the `simulator`
// provider directly and the `tapi` provider through the real addon. How a
// consultation and a conference look in TAPI is tsp-consultation.ts's job.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { CallControl, LineInfo, Party, ProviderEvent } from '../../src/connector/line-provider.ts';
import type { FakeTspControl } from '../../src/connector/providers/tapi/binding.ts';
import { addressCapsOf, callStateValue, disconnectModeOf, mediaModeBits, originValue } from '../../src/connector/providers/tapi/mapping.ts';
import { LINECALLREASON } from '../../src/connector/providers/tapi/tapi-constants.ts';
import { TspConsultations } from './tsp-consultation.ts';
import { dialError, errorOf } from './tsp-consultation.ts';
import type { Forward } from './tsp-consultation.ts';
import type { VirtualClock } from './clock.ts';
import type { SimulatedPbx } from './pbx.ts';

const field = (text: string | undefined): string => encodeURIComponent(text ?? '');

function parties(p: Party | undefined): string[] {
  return [field(p?.number), field(p?.name)];
}

export class TspFeed {
  private readonly detach: () => void;
  private readonly permanentIds = new Map<string, number>();
  /** The lineMakeCall whose reply must precede the first state of the call it creates. */
  private making: { id: string; line: string; replied: boolean } | undefined;
  private handledRequests = 0;
  /** Control commands the fake refused (a bug in this feed or the fake, never expected). */
  readonly refusals: string[] = [];
  private readonly consultations: TspConsultations;

  constructor(
    readonly pbx: SimulatedPbx,
    private readonly fake: FakeTspControl,
  ) {
    this.consultations = new TspConsultations(pbx, (forward) => this.forward(forward), (fields) => this.send(fields));
    this.send(['reset']);
    for (const line of pbx.lines()) this.defineLine(line);
    this.detach = pbx.subscribe((event) => this.onEvent(event));
    fake.fakeHook((request) => this.onRequest(request));
  }

  /** The fake's counters: messages posted and read since lineInitializeEx, messages queued, requests raised, whether an application is in. */
  stats(): { posted: number; read: number; queued: number; hooked: number; initialized: boolean } {
    const [posted = 0, read = 0, queued = 0, hooked = 0, initialized = 0] = this.fake.fakeControl('stats').reply.split(' ').map(Number);
    return { posted, read, queued, hooked, initialized: initialized === 1 };
  }

  /**
   * Resolves when nothing is in flight between the PBX and the application:
   * the fake's queue is empty, every message read has been handled by the
   * application (`handled`: its count for the current session) and every
   * request raised has been carried out on the PBX.
   */
  async settle(handled: () => number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.stats();
      if (s.hooked === this.handledRequests && (!s.initialized || (s.queued === 0 && s.read === handled()))) return;
      if (Date.now() > deadline) throw new Error(`the fake TSP did not settle within ${timeoutMs} ms: ${JSON.stringify(s)}, handled ${handled()}, requests ${this.handledRequests}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Runs the PBX's virtual clock to `target` one due time at a time, settling after each, so every event is read at its own time. */
  async advanceTo(clock: VirtualClock, target: number, handled: () => number): Promise<void> {
    await this.settle(handled);
    for (;;) {
      const next = clock.nextAt();
      if (next === undefined || next > target) break;
      clock.advanceTo(next);
      await this.settle(handled);
    }
    clock.advanceTo(target);
  }

  /** Like VirtualClock.runUntilIdle: every timer, settling after each due time. */
  async runUntilIdle(clock: VirtualClock, handled: () => number, limitMs = 86_400_000): Promise<void> {
    const end = clock.now() + limitMs;
    for (;;) {
      const next = clock.nextAt();
      if (next === undefined || next > end) return;
      await this.advanceTo(clock, next, handled);
    }
  }

  close(): void {
    this.detach();
    this.fake.fakeHook(null);
    this.send(['reset']);
  }

  private defineLine(line: LineInfo): void {
    let id = this.permanentIds.get(line.address);
    if (id === undefined) {
      id = 1000 + this.permanentIds.size;
      this.permanentIds.set(line.address, id);
    }
    // The line's controls become its address caps (dwCallFeatures, dwTransferModes), as a TSP reports what its switch allows.
    const caps = addressCapsOf(line.controls);
    const fields = [field(line.address), field(line.name), field(line.address), String(id), String(mediaModeBits(line.mediaModes)), line.inService ? '1' : '0'];
    this.send(['line', ...fields, String(caps.callFeatures), String(caps.transferModes)]);
  }

  /**
   * The switch changes what `line` offers at run time: its address caps change
   * and the fake reports LINEDEVSTATE_CAPSCHANGE (or, with `address`,
   * LINEADDRESSSTATE_CAPSCHANGE). The simulated PBX's own line keeps its controls.
   */
  changeCaps(line: string, controls: readonly CallControl[], how: 'line' | 'address' = 'line'): void {
    const caps = addressCapsOf(controls);
    this.send(['caps', field(line), String(caps.callFeatures), String(caps.transferModes), ...(how === 'address' ? ['address'] : [])]);
  }

  private onEvent(event: ProviderEvent): void {
    switch (event.type) {
      case 'call': {
        const making = this.making;
        if (making !== undefined && !making.replied && event.line === making.line && (event.state === 'dialtone' || event.state === 'dialing')) {
          making.replied = true;
          this.send(['reply', making.id, '0', field(event.callId)]);
        }
        this.consultations.onCall(event);
        return;
      }
      case 'lineAdded':
        return this.defineLine(event.line);
      case 'lineRemoved':
        return this.send(['remove', field(event.line)]);
      case 'lineOutOfService':
      case 'lineInService':
        return this.send(['service', field(event.line), event.type === 'lineInService' ? '1' : '0']);
      case 'providerDown':
      case 'providerUp':
        return this.send(['link', event.type === 'providerUp' ? '1' : '0']);
      case 'reinitRequired':
        return this.send(['reinit']);
    }
  }

  /** Sends one call's state to the fake, under the key the fake knows it by. */
  private forward({ key, event, state }: Forward): void {
    const mode = event.state === 'disconnected' ? disconnectModeOf(event.reason) : 0;
    const reason = event.redirecting === undefined ? LINECALLREASON.LINECALLREASON_DIRECT : LINECALLREASON.LINECALLREASON_TRANSFER;
    this.send([
      'call',
      field(key),
      field(event.line),
      String(state ?? callStateValue(event.state)),
      String(mode),
      String(originValue(event.origin)),
      String(reason),
      ...parties(event.caller),
      ...parties(event.called),
      ...parties(event.connected),
      ...parties(event.redirecting),
      field(event.relatedCallId),
    ]);
  }

  private onRequest(request: string): void {
    try {
      const [kind, id, key, dest, mode] = request.split('\t');
      if (id === undefined || key === undefined) return;
      if (kind === 'makeCall') return this.makeCall(id, key, dest ?? '');
      const c = this.consultations;
      // A consultation's or a conference's key names a call of the PBX, or (a consultation not dialled yet) none.
      const target = c.pbxIdOf(key);
      try {
        if (kind === 'setupTransfer') return c.setupTransfer(id, key);
        if (kind === 'dial') return c.dial(id, key, dest ?? '');
        if (kind === 'completeTransfer') return c.complete(id, key, dest ?? '', mode === 'conference');
        if (kind === 'drop' && target === undefined) return c.dropUndialled(id, key);
        if (target === undefined) throw new LineProviderError('invalid-state', `call ${key} is not on the switch`);
        if (kind === 'answer') this.pbx.answer(target);
        else if (kind === 'drop') this.pbx.drop(target);
        else if (kind === 'hold') this.pbx.hold(target);
        else if (kind === 'unhold') this.pbx.resume(target);
        // lineBlindTransfer's address is dialled as the agent typed it, like lineMakeCall's.
        else if (kind === 'transfer') this.pbx.transfer(target, dest ?? '', { dialled: true });
        else throw new LineProviderError('invalid-state', `unknown request ${kind}`);
        this.send(['reply', id, '0']);
      } catch (err) {
        this.send(['reply', id, String(errorOf(err))]);
      }
    } finally {
      this.handledRequests++;
    }
  }

  private makeCall(id: string, line: string, dest: string): void {
    this.making = { id, line, replied: false };
    try {
      const callId = this.pbx.makeCall(line, dest);
      if (!this.making.replied) this.send(['reply', id, '0', field(callId)]);
    } catch (err) {
      this.send(['reply', id, String(dialError(err))]);
    } finally {
      this.making = undefined;
    }
  }

  private send(fields: string[]): void {
    const command = fields.join('\t');
    const { result } = this.fake.fakeControl(command);
    if (result !== 0) this.refusals.push(`${fields[0]}: ${result}`);
  }
}
