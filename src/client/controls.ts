// Where each active call's control buttons live: inside its popup while the
// popup shows (the popup asks for them once, at its one insertion point), in
// the call bar otherwise — a dialled call has no popup, and a popup closes
// after the line's display time while the call goes on. Every notification
// refreshes every view from the call book, so the buttons always follow the
// state the manager reported (never a guess of what a click did).
import type { CallControl, WelcomeLine } from '../protocol/index.ts';
import type { CallBook, CallView } from './calls.ts';
import { CallControlsView, controlWords, type ControlContext, type SendControl } from './ui/call-controls.ts';
import { h } from './ui/dom.ts';

/** The call controls of `line` as welcome listed them (none when it did not say). */
export function controlsOn(lines: readonly WelcomeLine[] | undefined, line: string): readonly CallControl[] {
  return lines?.find((l) => l.line === line)?.controls ?? [];
}

/** The context of one call's buttons: its line's controls and its consultation, from the active calls. */
export function contextOf(call: CallView, active: readonly CallView[], lines: readonly WelcomeLine[] | undefined): ControlContext {
  const consultation = active.find((c) => c.consultationOf === call.callKey);
  const primaryActive = call.consultationOf !== undefined && active.some((c) => c.callKey === call.consultationOf);
  return { controls: controlsOn(lines, call.line), ...(consultation === undefined ? {} : { consultation }), isConsultation: primaryActive };
}

export class ControlsHost {
  readonly bar: HTMLElement;
  private readonly views = new Map<string, CallControlsView>();
  private readonly inPopup = new Set<string>();
  private words = controlWords(undefined);

  constructor(
    private readonly doc: Document,
    private readonly book: CallBook,
    private readonly lines: () => readonly WelcomeLine[] | undefined,
    private readonly send: SendControl,
  ) {
    this.bar = h(doc, 'div', { class: 'ctapi-panel ctapi-calls', 'data-testid': 'call-bar', role: 'region', 'aria-label': this.words.group });
  }

  language(uiLanguageId: number | undefined): void {
    this.words = controlWords(uiLanguageId);
    this.bar.setAttribute('aria-label', this.words.group);
  }

  /** The buttons of `call` for its popup (they move there from the bar). */
  forPopup(call: CallView): HTMLElement {
    this.inPopup.add(call.callKey);
    return this.view(call).element;
  }

  /** The popup of `callKey` closed: its buttons go back to the bar while the call lasts. */
  popupClosed(callKey: string): void {
    this.inPopup.delete(callKey);
    this.refresh();
  }

  refresh(): void {
    const active = this.book.active();
    const live = new Set(active.map((c) => c.callKey));
    for (const [key, view] of this.views) {
      if (live.has(key)) continue;
      view.element.remove();
      this.views.delete(key);
    }
    for (const call of active) {
      const view = this.view(call);
      view.update(call, contextOf(call, active, this.lines()));
      if (!this.inPopup.has(call.callKey) && view.element.parentElement !== this.bar) this.bar.append(view.element);
    }
    this.bar.hidden = this.bar.childElementCount === 0;
  }

  private view(call: CallView): CallControlsView {
    let view = this.views.get(call.callKey);
    if (view === undefined) {
      const active = this.book.active();
      view = new CallControlsView(this.doc, this.words, call, contextOf(call, active, this.lines()), this.send);
      this.views.set(call.callKey, view);
    }
    return view;
  }
}
