// The incoming-call popup: caller number, matched records (a picker when
// several, "unknown caller" with "create contact" when none), the line,
// buttons to open the record, open the phone call and reject; closes after
// the line's display time, or with "answered by X" when a colleague answers.
import type { CrmMatch } from '../../protocol/index.ts';
import type { CallView } from '../calls.ts';
import type { Strings } from '../i18n.ts';
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

export class PopupView {
  readonly element: HTMLElement;
  private chosen: CrmMatch | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stateLine: HTMLElement;
  private readonly rejectButton: HTMLButtonElement;
  private readonly answerButton: HTMLButtonElement;

  constructor(
    private readonly doc: Document,
    private readonly s: Strings,
    private call: CallView,
    lineName: string,
    private readonly actions: PopupActions,
  ) {
    this.chosen = call.matches[0];
    const title = call.direction === 'internal' ? s.internalCall : s.incomingCall;
    const number = call.e164 ?? call.number;
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
      h(doc, 'div', { class: 'ctapi-number', 'data-testid': 'popup-number' }, number),
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
    this.element = h(doc, 'section', { class: `ctapi-popup ctapi-pos-${pos}`, 'data-testid': 'crm-tapi-popup', 'data-call': call.callKey, role: 'alertdialog' },
      h(doc, 'header', {}, title), body, buttons, actions.controls?.(call));
    this.update(call);
    if (call.popup.durationSeconds > 0) this.timer = setTimeout(() => this.close(), call.popup.durationSeconds * 1000);
  }

  update(call: CallView): void {
    this.call = call;
    const ringing = call.state === 'offering' || call.state === 'accepted';
    this.rejectButton.hidden = !ringing || !this.actions.rejectAllowed(call.line);
    this.answerButton.hidden = !ringing;
    this.stateLine.textContent = call.state === 'connected' || call.state === 'onhold' ? this.s.connected : '';
  }

  /** The call ended: say why, then go. */
  ending(why: 'answeredElsewhere' | 'ended'): void {
    this.rejectButton.hidden = true;
    this.answerButton.hidden = true;
    this.stateLine.textContent = why === 'answeredElsewhere' ? `${this.s.answeredBy} ${this.call.answeredBy ?? '?'}` : this.s.ended;
    this.element.dataset.ended = why;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.close(), CLOSING_MS);
  }

  close(): void {
    clearTimeout(this.timer);
    if (!this.element.isConnected) return;
    this.element.remove();
    this.actions.closed(this.call.callKey);
  }
}
