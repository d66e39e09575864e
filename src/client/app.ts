// The client, composed: CRM host, manager connection, call book, tab
// coordination and the UI pieces. The Dynamics web resource and the
// stand-alone panel differ only in the CrmHost they pass and where the
// status icon and missed-calls list go.
import type { CallNotificationMessage, CrmMatch, RegardingRef, WelcomeLine, WelcomeMessage } from '../protocol/index.ts';
import { CallBook, rejectAllowedOn, type CallEffect, type CallView } from './calls.ts';
import { ManagerConnection, type SocketLike } from './connection.ts';
import type { CrmHost, CrmUser } from './crm/host.ts';
import { readManagerUrl } from './crm/manager-url.ts';
import { contactParameters, phoneCallParameters, phoneCallRecord } from './crm/phonecall.ts';
import { stringsFor, type Strings } from './i18n.ts';
import { DiagnosticLog } from './log.ts';
import { MissedList, missedEntryOf, parseMissedEntry, type MissedEntry } from './missed.ts';
import { clientSchemaNames, type ClientSchemaNames } from './schema-names.ts';
import { TabCoordinator, type ChannelLike } from './tabs.ts';
import { chooseLine, dialOptions, type MenuPlace } from './ui/dial-menu.ts';
import { injectStyles, toast } from './ui/dom.ts';
import { LinesView } from './ui/lines-view.ts';
import { renderMissed } from './ui/missed-view.ts';
import { attachPhoneIcons, type FormFields } from './ui/phone-icons.ts';
import { PopupView } from './ui/popup.ts';
import { ControlsHost } from './controls.ts';
import type { CallControlAction } from '../protocol/index.ts';
import { settingsLines, StatusIcon } from './ui/status.ts';

export interface AppOptions {
  doc: Document;
  crm: CrmHost;
  /** Where the status icon goes. */
  statusTarget: HTMLElement;
  missedTarget?: HTMLElement;
  /** Where the agent's lines and their state go (the panel). */
  linesTarget?: HTMLElement;
  /** Default: read from the user's line / site / default record. */
  managerUrl?: () => Promise<string>;
  names?: ClientSchemaNames;
  createSocket?: (url: string) => SocketLike;
  channel?: (name: string) => ChannelLike | undefined;
  /** Where the call bar (the buttons of calls without a popup) goes; default: the end of the body. */
  callsTarget?: HTMLElement;
}

export class ClientApp {
  readonly log = new DiagnosticLog(() => Date.now());
  readonly book = new CallBook();
  readonly missed = new MissedList();
  readonly tab = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  strings: Strings = stringsFor(undefined);
  user: CrmUser | undefined;
  connection: ManagerConnection | undefined;
  private status: StatusIcon | undefined;
  private lines: LinesView | undefined;
  private tabs: TabCoordinator | undefined;
  private readonly popups = new Map<string, PopupView>();
  private managerUrl: string | undefined;
  private readonly names: ClientSchemaNames;
  /** Call-control buttons of every active call (in its popup, or in the call bar). */
  readonly controls: ControlsHost;

  constructor(private readonly o: AppOptions) {
    this.names = o.names ?? clientSchemaNames();
    this.controls = new ControlsHost(o.doc, this.book, () => this.welcome?.lines, (call, action, target) => this.command(call, action, target));
  }

  get welcome(): WelcomeMessage | undefined {
    return this.connection?.welcome;
  }

  async start(): Promise<void> {
    const { doc, crm } = this.o;
    injectStyles(doc);
    this.log.info('crm-tapi client starting');
    const user = await crm.currentUser();
    this.user = user;
    this.strings = stringsFor(user.uiLanguageId);
    this.controls.language(user.uiLanguageId);
    (this.o.callsTarget ?? doc.body).append(this.controls.bar);
    this.controls.refresh();
    doc.documentElement.lang = user.uiLanguageId === 1031 ? 'de' : 'en';
    this.status = new StatusIcon(doc, this.strings, this.log, () => settingsLines(this.managerUrl, this.welcome));
    this.o.statusTarget.append(this.status.element);
    const channel = (this.o.channel ?? defaultChannel)(`crm-tapi:${user.id}`);
    this.tabs = new TabCoordinator(this.tab, channel, {
      withdraw: (key) => this.popups.get(key)?.close(),
      missed: (_key, entry) => {
        const e = parseMissedEntry(entry);
        if (e !== undefined && this.missed.add(e)) this.renderMissed();
      },
    });
    this.renderMissed();
    if (this.o.linesTarget !== undefined) this.lines = new LinesView(doc, this.strings, this.o.linesTarget);
    this.renderLines();
    // Escape closes the newest popup (an open line menu takes it first: it listens in the capture phase).
    doc.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const newest = [...this.popups.values()].pop();
      if (newest !== undefined) newest.close();
    });
    const url = this.o.managerUrl ?? (() => readManagerUrl(crm, user.id, this.names));
    const cs = this.names.clientSession;
    this.connection = new ManagerConnection({
      url: async () => (this.managerUrl = await url()),
      createSocket: this.o.createSocket ?? ((u) => new WebSocket(u)),
      createSession: (nonce, instance) => crm.createRecord(cs.logicalName, { [cs.name]: `session ${instance}`.slice(0, 200), [cs.nonce]: nonce, [cs.clientInstance]: instance }),
      clientInstanceId: this.tab,
      userId: user.id,
      ...(user.organisation ? { organisation: user.organisation } : {}),
      log: this.log,
      random: Math.random,
    }, {
      status: (s, detail) => {
        this.status?.set(s, detail);
        this.renderLines();
      },
      notification: (m) => this.notify(m),
      welcome: () => this.renderLines(),
    });
    this.connection.start();
  }

  stop(): void {
    this.connection?.stop();
    this.tabs?.close();
    this.lines?.stop();
    for (const p of this.popups.values()) p.close();
  }

  attachForm(form: FormFields): number {
    return attachPhoneIcons(this.o.doc, this.strings, form, (number, regarding, at) => void this.dial(number, regarding, at));
  }

  /** Whether `number` can be dialled on at least one of the user's lines (the dial box checks before it offers lines). */
  dialable(number: string): boolean {
    return dialOptions(number, this.welcome?.lines ?? []).length > 0;
  }

  /**
   * Click-to-dial: on the only line, or on the line the user picks. Only lines
   * whose dialing rules read the number are offered; a number no line can
   * dial (`hello`) is refused here with a toast, before any line is offered.
   */
  async dial(number: string, regarding?: RegardingRef, at: MenuPlace = { x: 40, y: 40 }): Promise<void> {
    const s = this.strings;
    const lines = this.welcome?.lines ?? [];
    if (this.connection === undefined || this.welcome === undefined) {
      toast(this.o.doc, s.statusError);
      return;
    }
    if (lines.length === 0) {
      toast(this.o.doc, s.noLines);
      return;
    }
    const options = dialOptions(number, lines);
    if (options.length === 0) {
      this.log.error(`dial ${number}: no line's dialing rules can read it as a phone number`);
      toast(this.o.doc, `${s.notANumber}: ${number}`);
      return;
    }
    const only = options.length === 1 ? options[0] : undefined;
    const line: WelcomeLine | undefined = only !== undefined && lines.length === 1 ? only.line : await chooseLine(this.o.doc, s, options, at);
    if (line === undefined) return;
    this.log.info(`dial ${number} on ${line.line}: ${options.find((o) => o.line === line)?.target.dial ?? '?'} will be dialled`);
    try {
      const r = await this.connection.dial(line.line, number, regarding);
      if (r.ok) toast(this.o.doc, `${s.dialled} ${r.dialString ?? number}`);
      else {
        this.log.error(`dial refused: ${r.error?.code ?? '?'}: ${r.error?.message ?? ''}`);
        toast(this.o.doc, `${s.dialFailed}: ${r.error?.message ?? ''}`);
      }
    } catch (err) {
      this.log.error(`dial failed: ${err instanceof Error ? err.message : String(err)}`);
      toast(this.o.doc, `${s.dialFailed}: ${err instanceof Error ? err.message : ''}`);
    }
  }

  private notify(m: CallNotificationMessage): void {
    for (const e of this.book.apply(m)) this.effect(e);
    this.controls.refresh();
    this.renderLines();
  }

  private renderLines(): void {
    this.lines?.render(this.welcome?.lines ?? [], this.book.active(), this.connection?.status === 'connected');
  }

  private lineName(line: string): string {
    return this.welcome?.lines.find((l) => l.line === line)?.displayName ?? line;
  }

  private effect(e: CallEffect): void {
    const { doc, crm } = this.o;
    const key = e.call.callKey;
    switch (e.kind) {
      case 'showPopup': {
        if (this.popups.has(key) || this.tabs?.claim(key) === false) return;
        const view = new PopupView(doc, this.strings, e.call, this.lineName(e.call.line), {
          openRecord: (m: CrmMatch) => crm.openRecord(m.entity, m.id),
          openPhoneCall: (call: CallView, m: CrmMatch | undefined) => void this.openPhoneCall(call, m),
          createContact: (call: CallView) => crm.openNewForm('contact', contactParameters(call)),
          reject: (call: CallView) => void this.control(call, 'reject'),
          rejectAllowed: (line: string) => rejectAllowedOn(this.welcome?.lines, line),
          answer: (call: CallView) => void this.control(call, 'answer'),
          controls: (call: CallView) => this.controls.forPopup(call),
          closed: (k: string) => {
            this.popups.delete(k);
            this.tabs?.release(k);
            this.controls.popupClosed(k);
          },
        });
        this.popups.set(key, view);
        doc.body.append(view.element);
        return;
      }
      case 'updatePopup':
        this.popups.get(key)?.update(e.call);
        return;
      case 'closePopup':
        this.popups.get(key)?.ending(e.why);
        return;
      case 'openPhoneCall':
        void this.openPhoneCall(e.call, e.withRecord ?? e.call.matches[0]);
        if (e.withRecord !== undefined) crm.openRecord(e.withRecord.entity, e.withRecord.id);
        return;
      case 'missed': {
        const entry: MissedEntry = missedEntryOf(e.call);
        if (this.missed.add(entry)) {
          this.tabs?.shareMissed(key, entry);
          this.renderMissed();
        }
        return;
      }
    }
  }

  /**
   * Opens the call's phone call activity. With the manager's id the record is
   * created first, as the agent, and its form opened: the manager writes the
   * same id at the call's end (only the time fields when it exists), so a
   * saved form never makes a second record. Without an id (older manager), or
   * when creating fails, a new prefilled form opens as before.
   */
  private async openPhoneCall(call: CallView, match: CrmMatch | undefined): Promise<void> {
    const { crm } = this.o;
    const openedAt = new Date().toISOString();
    const id = call.phoneCallId;
    if (id !== undefined && this.user !== undefined) {
      try {
        const outcome = await crm.createRecordWithId('phonecall', id, phoneCallRecord(call, match, this.strings, openedAt, this.user.id));
        this.log.info(`phone call ${id.slice(0, 6)}… ${outcome === 'created' ? 'created' : 'already exists'}; opening its form`);
        crm.openRecord('phonecall', id);
        return;
      } catch (err) {
        this.log.error(`the phone call could not be created (${err instanceof Error ? err.message : String(err)}); opening a new form instead`);
      }
    }
    crm.openNewForm('phonecall', phoneCallParameters(call, match, this.strings, openedAt));
  }

  private async control(call: CallView, action: 'answer' | 'reject'): Promise<void> {
    // Marked before the request: the end of the call may arrive before the answer to it.
    if (action === 'reject') this.book.markRejected(call.callKey, true);
    try {
      const r = await this.connection?.callControl(call.callKey, action);
      if (r && !r.ok) {
        if (action === 'reject') this.book.markRejected(call.callKey, false);
        this.log.error(`${action} refused: ${r.error?.code ?? '?'}: ${r.error?.message ?? ''}`);
        toast(this.o.doc, `${action === 'answer' ? this.strings.answer : this.strings.reject}: ${r.error?.message ?? ''}`);
      }
    } catch (err) {
      if (action === 'reject') this.book.markRejected(call.callKey, false);
      this.log.error(`${action} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** One call-control action; resolves with the manager's refusal as a sentence, or undefined when carried out. */
  private async command(call: CallView, action: CallControlAction, target?: string): Promise<string | undefined> {
    try {
      const r = await this.connection?.callControl(call.callKey, action, target);
      if (r === undefined) return 'not connected to the TAPI manager';
      if (r.ok) return undefined;
      this.log.error(`${action} refused: ${r.error?.code ?? '?'}: ${r.error?.message ?? ''}`);
      return r.error?.message ?? r.error?.code ?? 'refused';
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.log.error(`${action} failed: ${text}`);
      return text;
    }
  }

  private renderMissed(): void {
    const target = this.o.missedTarget;
    if (target === undefined) return;
    renderMissed(this.o.doc, this.strings, target, this.missed.all(), (e, at) => void this.dial(e.number, e.match ? { entity: e.match.entity, id: e.match.id } : undefined, at));
  }
}

function defaultChannel(name: string): ChannelLike | undefined {
  return typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name);
}
