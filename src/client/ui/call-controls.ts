// The agent's call-control buttons for one call: hang up, hold/resume,
// transfer and consult (with a target field), and while a consultation runs
// complete / cancel / conference. Which buttons show follows the call's state
// and the line's `controls` from `welcome` (spec/protocol.md §7.7): a line
// whose phone system cannot hold shows no hold button. Pure decisions live in
// `controlsFor` (tested without a DOM); `CallControlsView` only renders them.
import { languageOf, type Language } from '../i18n.ts';
import type { CallControl, CallControlAction, CallState } from '../../protocol/index.ts';
import type { CallView } from '../calls.ts';
import { h } from './dom.ts';

/** What the buttons need to know about the call beyond its own view. */
export interface ControlContext {
  /** The line's call controls (welcome's `controls`; absent: none). */
  controls: readonly CallControl[];
  /** The live consultation set up from this call, if any. */
  consultation?: CallView;
  /** This call is itself a consultation of a call that is still active. */
  isConsultation: boolean;
}

const HANG_UP: ReadonlySet<CallState> = new Set(['dialtone', 'dialing', 'proceeding', 'ringback', 'busy', 'connected', 'onhold']);
const TALKING: ReadonlySet<CallState> = new Set(['connected', 'onhold']);

/** The actions offered for `call` now, in display order. */
export function controlsFor(call: CallView, ctx: ControlContext): CallControlAction[] {
  const has = (c: CallControl): boolean => ctx.controls.includes(c);
  const out: CallControlAction[] = [];
  if (HANG_UP.has(call.state)) out.push('drop');
  if (!TALKING.has(call.state) || ctx.isConsultation) return out;
  if (ctx.consultation !== undefined) {
    if (has('consult')) out.push('completeTransfer');
    if (has('conference')) out.push('conference');
    if (has('consult')) out.push('cancelConsult');
    return out;
  }
  if (has('hold')) out.push(call.state === 'onhold' ? 'unhold' : 'hold');
  if (has('transfer')) out.push('transfer');
  if (has('consult')) out.push('consult');
  return out;
}

/** Completing or conferencing needs the consulted party to have answered. */
export function waitsForConsultation(action: CallControlAction, ctx: ControlContext): boolean {
  return (action === 'completeTransfer' || action === 'conference') && ctx.consultation?.state !== 'connected';
}

type Words = Record<CallControlAction, string> & { target: string; targetLabel: string; group: string; consulting: string; onHold: string };

const WORDS: Record<Language, Words> = {
  en: {
    answer: 'Answer', reject: 'Reject', drop: 'Hang up', hold: 'Hold', unhold: 'Resume', transfer: 'Transfer', consult: 'Consult',
    completeTransfer: 'Complete transfer', cancelConsult: 'Cancel consultation', conference: 'Conference',
    target: 'Number', targetLabel: 'Number to transfer or consult', group: 'Call control', consulting: 'Consulting', onHold: 'On hold',
  },
  de: {
    answer: 'Annehmen', reject: 'Ablehnen', drop: 'Auflegen', hold: 'Halten', unhold: 'Fortsetzen', transfer: 'Weiterleiten', consult: 'Rückfrage',
    completeTransfer: 'Verbinden', cancelConsult: 'Rückfrage beenden', conference: 'Konferenz',
    target: 'Nummer', targetLabel: 'Nummer für Weiterleitung oder Rückfrage', group: 'Anrufsteuerung', consulting: 'Rückfrage läuft', onHold: 'Gehalten',
  },
};

export function controlWords(uiLanguageId: number | undefined): Words {
  return WORDS[languageOf(uiLanguageId)];
}

const TARGETED: ReadonlySet<CallControlAction> = new Set(['transfer', 'consult']);

/**
 * Sends one action; resolves with an error sentence when the manager refused
 * (shown next to the buttons), undefined when it was carried out.
 */
export type SendControl = (call: CallView, action: CallControlAction, target?: string) => Promise<string | undefined>;

export class CallControlsView {
  readonly element: HTMLElement;
  private readonly buttons = new Map<CallControlAction, HTMLButtonElement>();
  private readonly target: HTMLInputElement;
  private readonly targetRow: HTMLElement;
  private readonly note: HTMLElement;
  private call: CallView;
  private ctx: ControlContext;

  constructor(
    private readonly doc: Document,
    private readonly words: Words,
    call: CallView,
    ctx: ControlContext,
    private readonly send: SendControl,
  ) {
    this.call = call;
    this.ctx = ctx;
    this.target = h(doc, 'input', { type: 'tel', 'data-testid': 'cc-target', 'aria-label': words.targetLabel, placeholder: words.target, autocomplete: 'off' });
    this.target.addEventListener('keydown', (e) => {
      // Enter transfers, as the dial box dials: the field's one obvious action.
      if (e.key === 'Enter' && this.buttons.get('transfer')?.hidden === false) void this.run('transfer');
    });
    this.targetRow = h(doc, 'div', { class: 'ctapi-cc-target' }, this.target);
    this.note = h(doc, 'div', { class: 'ctapi-cc-note', 'data-testid': 'cc-note', role: 'status' });
    const row = h(doc, 'div', { class: 'ctapi-actions ctapi-cc-buttons' });
    for (const action of ['drop', 'hold', 'unhold', 'transfer', 'consult', 'completeTransfer', 'conference', 'cancelConsult'] as const) {
      const button = h(doc, 'button', { type: 'button', 'data-testid': `cc-${action}`, 'aria-label': `${words[action]} (${call.number || '?'})`, onclick: () => void this.run(action) }, words[action]);
      if (action === 'drop') button.classList.add('ctapi-reject');
      this.buttons.set(action, button);
      row.append(button);
    }
    this.element = h(doc, 'div', { class: 'ctapi-cc', role: 'group', 'aria-label': words.group, 'data-testid': 'call-controls', 'data-call': call.callKey }, this.targetRow, row, this.note);
    this.update(call, ctx);
  }

  update(call: CallView, ctx: ControlContext): void {
    this.call = call;
    this.ctx = ctx;
    const offered = new Set(controlsFor(call, ctx));
    for (const [action, button] of this.buttons) {
      button.hidden = !offered.has(action);
      button.disabled = waitsForConsultation(action, ctx);
    }
    this.targetRow.hidden = !offered.has('transfer') && !offered.has('consult');
    this.element.dataset.state = call.state;
    // Which consultation belongs to this call, for tests and the conformance suite's show-call hook.
    if (ctx.consultation === undefined) delete this.element.dataset.consultation;
    else this.element.dataset.consultation = ctx.consultation.callKey;
    this.element.hidden = offered.size === 0;
    if (ctx.consultation !== undefined) this.note.textContent = `${this.words.consulting}: ${ctx.consultation.number}`;
    else if (call.state === 'onhold') this.note.textContent = this.words.onHold;
    else if (this.note.dataset.error === undefined) this.note.textContent = '';
  }

  private async run(action: CallControlAction): Promise<void> {
    const target = TARGETED.has(action) ? this.target.value.trim() : undefined;
    if (target === '') {
      this.target.focus();
      this.showError(this.words.targetLabel);
      return;
    }
    const button = this.buttons.get(action);
    if (button !== undefined) button.disabled = true;
    delete this.note.dataset.error;
    const error = await this.send(this.call, action, target);
    if (button !== undefined) button.disabled = waitsForConsultation(action, this.ctx);
    if (error !== undefined) this.showError(`${this.words[action]}: ${error}`);
    else if (target !== undefined) this.target.value = '';
  }

  private showError(text: string): void {
    this.note.dataset.error = 'true';
    this.note.textContent = text;
  }
}
