// The incoming-call popup: caller number, matched records (a picker when
// several, "unknown caller" with "create contact" when none), the line,
// buttons to open the record, open the phone call and reject. Its header
// follows the call (ringing, connected with a running timer, on hold, ended,
// rejected). It closes after the line's display time while ringing (an
// answered call keeps it), or with "answered by X" when a colleague answers.
import type { CrmMatch } from '../../protocol/index.ts';
import { headerText, phaseOf } from '../call-header.ts';
import type { CallView, ClosingReason } from '../calls.ts';
import type { Strings } from '../i18n.ts';
import { showNumber } from '../phone-format.ts';
import { h } from './dom.ts';

export interface PopupActions {
  openRecord(match: CrmMatch): void;
  openPhoneCall(call: CallView, match: CrmMatch | undefined): void;
  createContact(call: CallView): void;
  reject(call: CallView): void;
  /** Whether the line's connector can reject (welcome's rejectAllowed; unknown counts as yes: the manager then says why not). */
  rejectAllowed(line: string): boolean;
  answer(call: CallView): void;
  closed(callKey: string): void;
  /** The call-control buttons of the call (hang up, hold, transfer, …; ui/call-controls.ts), placed below the popup's own. */
  controls?(call: CallView): HTMLElement;
}

/** How long "answered by" / "call ended" stays readable before the popup goes. */
export const CLOSING_MS = 4000;

let headerIds = 0;

export class PopupView {
  readonly element: HTMLElement;
  private chosen: CrmMatch | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stateLine: HTMLElement;
  private readonly rejectButton: HTMLButtonElement;
  private readonly answerButton: HTMLButtonElement;
  private readonly header: HTMLElement;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** When this tab first saw the call talking, on its own clock (the timer's origin). */
  private talkingSince: number | undefined;
  private endedAt: number | undefined;

  constructor(
    private readonly doc: Document,
    private readonly s: Strings,
    private call: CallView,
    lineName: string,
    private readonly actions: PopupActions,
  ) {
    this.chosen = call.matches[0];
    const number = showNumber(call.number, call.e164);
    const body = h(doc, 'div', { class: 'ctapi-body' });
    if (call.matches.length === 0) {
      body.append(h(doc, 'div', { class: 'ctapi-name', 'data-testid': 'popup-name' }, s.unknownCaller));
    } else if (call.matches.length === 1) {
      body.append(h(doc, 'div', { class: 'ctapi-name', 'data-testid': 'popup-name' }, call.matches[0]?.name ?? ''));
    } else {
      body.append(h(doc, 'div', { class: 'ctapi-name', 'data-testid': 'popup-name' }, call.matches[0]?.name ?? ''));
      const list = h(doc, 'ul', { 'data-testid': 'popup-matches' });
      for (const m of call.matches.slice(0, 10)) {
        const radio = h(doc, 'input', { type: 'radio', name: `ctapi-pick-${call.callKey}`, value: m.id });
        if (m === this.chosen) radio.checked = true;
        radio.addEventListener('change', () => (this.chosen = m));
        list.append(h(doc, 'li', {}, h(doc, 'label', {}, radio, ` ${m.name} (${m.entity})`)));
      }
      body.append(h(doc, 'div', {}, s.pickRecord), list);
    }
    body.append(
      h(doc, 'div', { class: 'ctapi-number', 'data-testid': 'popup-number', title: number.raw }, number.text),
      h(doc, 'div', { class: 'ctapi-line', 'data-testid': 'popup-line' }, `${s.onLine} ${lineName}`),
    );
    this.stateLine = h(doc, 'div', { class: 'ctapi-state', 'data-testid': 'popup-state' });
    body.append(this.stateLine);
    this.rejectButton = h(doc, 'button', { class: 'ctapi-reject', 'data-testid': 'popup-reject', onclick: () => actions.reject(this.call) }, s.reject);
    this.answerButton = h(doc, 'button', { 'data-testid': 'popup-answer', onclick: () => actions.answer(this.call) }, s.answer);
    const buttons = h(doc, 'div', { class: 'ctapi-actions' }, this.answerButton);
    if (call.matches.length > 0) buttons.append(h(doc, 'button', { 'data-testid': 'popup-open-record', onclick: () => this.chosen && actions.openRecord(this.chosen) }, s.openRecord));
    else buttons.append(h(doc, 'button', { 'data-testid': 'popup-create-contact', onclick: () => actions.createContact(this.call) }, s.createContact));
    buttons.append(
      h(doc, 'button', { 'data-testid': 'popup-open-phonecall', onclick: () => actions.openPhoneCall(this.call, this.chosen) }, s.openPhoneCall),
      this.rejectButton,
      h(doc, 'button', { 'data-testid': 'popup-close', onclick: () => this.close() }, s.close),
    );
    const pos = [0, 1, 2, 3, 4].includes(call.popup.position) ? call.popup.position : 1;
    const headerId = `ctapi-popup-h${(headerIds += 1)}`;
    this.header = h(doc, 'header', { id: headerId, 'data-testid': 'popup-title' });
    this.element = h(doc, 'section', { class: `ctapi-popup ctapi-pos-${pos}`, 'data-testid': 'crm-tapi-popup', 'data-call': call.callKey, role: 'alertdialog', 'aria-labelledby': headerId },
      this.header, body, buttons, actions.controls?.(call));
    this.update(call);
    if (call.popup.durationSeconds > 0) this.timer = setTimeout(() => this.close(), call.popup.durationSeconds * 1000);
  }

  update(call: CallView): void {
    this.call = call;
    const phase = phaseOf(call.state);
    const ringing = phase === 'ringing';
    this.rejectButton.hidden = !ringing || !this.actions.rejectAllowed(call.line);
    this.answerButton.hidden = !ringing;
    if ((phase === 'connected' || phase === 'onhold') && this.talkingSince === undefined) {
      this.talkingSince = Date.now();
      // Answered: the display time no longer applies; the agent is on the call.
      clearTimeout(this.timer);
      this.ticker = setInterval(() => this.renderHeader(), 1000);
    }
    this.element.dataset.phase = phase;
    this.renderHeader();
  }

  /** The call ended: say why, then go. */
  ending(why: ClosingReason): void {
    this.rejectButton.hidden = true;
    this.answerButton.hidden = true;
    this.endedAt = Date.now();
    clearInterval(this.ticker);
    this.stateLine.textContent = why === 'answeredElsewhere' ? `${this.s.answeredBy} ${this.call.answeredBy ?? '?'}` : why === 'rejected' ? this.s.rejected : this.s.ended;
    this.element.dataset.ended = why;
    this.element.dataset.phase = 'ended';
    this.renderHeader(why);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.close(), CLOSING_MS);
  }

  private renderHeader(why?: ClosingReason): void {
    const call = why === undefined ? this.call : { ...this.call, state: 'disconnected' as const };
    this.header.textContent = headerText({ call, talkingSince: this.talkingSince, rejectedHere: why === 'rejected' || this.call.rejectedHere === true, now: this.endedAt ?? Date.now() }, this.s);
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    if (!this.element.isConnected) return;
    this.element.remove();
    this.actions.closed(this.call.callKey);
  }
}
