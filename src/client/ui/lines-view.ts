// The agent's own lines and what is on each: no call, ringing, calling,
// connected or on hold with a running timer, with the other party's number.
// Shown in the softphone panel; the state comes from the calls this client
// was told about (the manager sends every call of the agent's lines).
import type { WelcomeLine } from '../../protocol/index.ts';
import { headerText, phaseOf, type CallPhase } from '../call-header.ts';
import type { CallView } from '../calls.ts';
import type { Strings } from '../i18n.ts';
import { showNumber } from '../phone-format.ts';
import { h } from './dom.ts';

/** A line's state word for the data attribute the tests and styles read; `unknown` while the manager is not connected. */
export type LineState = 'free' | 'unknown' | 'outOfService' | CallPhase;

export function lineStateOf(calls: readonly CallView[]): LineState {
  const phases = calls.map((c) => phaseOf(c.state)).filter((p) => p !== 'ended');
  for (const p of ['connected', 'onhold', 'dialling', 'busy', 'ringing'] as const) if (phases.includes(p)) return p;
  return 'free';
}

export class LinesView {
  private readonly talkingSince = new Map<string, number>();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private last: { lines: readonly WelcomeLine[]; calls: readonly CallView[]; connected: boolean } = { lines: [], calls: [], connected: false };

  constructor(
    private readonly doc: Document,
    private readonly s: Strings,
    private readonly target: HTMLElement,
    private readonly now: () => number = Date.now,
  ) {}

  /** Without a connection to the manager nothing is known about the lines: they say so instead of "no call". */
  render(lines: readonly WelcomeLine[], calls: readonly CallView[], connected: boolean): void {
    this.last = { lines, calls, connected };
    const { doc, s } = this;
    const now = this.now();
    const live = new Set(calls.map((c) => c.callKey));
    for (const k of this.talkingSince.keys()) if (!live.has(k)) this.talkingSince.delete(k);
    const list = h(doc, 'ul', { class: 'ctapi-lines', 'data-testid': 'lines-list' });
    for (const line of lines) {
      const mine = calls.filter((c) => c.line === line.line);
      // Out of service (the PBX says so, or its connector is gone) unless a call is still shown on it.
      const onLine = connected ? lineStateOf(mine) : 'unknown';
      const state: LineState = onLine === 'free' && line.inService === false ? 'outOfService' : onLine;
      const call = connected ? mine.find((c) => phaseOf(c.state) === state) : undefined;
      let text = !connected ? s.lineUnknown : state === 'outOfService' ? s.lineOutOfService : s.lineFree;
      let number = '';
      let raw = '';
      if (call !== undefined) {
        if ((state === 'connected' || state === 'onhold') && !this.talkingSince.has(call.callKey)) this.talkingSince.set(call.callKey, now);
        text = state === 'ringing' ? s.lineRinging : headerText({ call, talkingSince: this.talkingSince.get(call.callKey), rejectedHere: false, now }, s);
        const shown = showNumber(call.number, call.e164);
        number = shown.text;
        raw = shown.raw;
      }
      list.append(h(doc, 'li', { 'data-line': line.line, 'data-state': state, 'data-testid': 'line-row' },
        h(doc, 'span', { class: 'ctapi-line-name', title: line.line }, line.displayName),
        h(doc, 'span', { class: 'ctapi-line-state', 'data-testid': 'line-state' }, text),
        number === '' ? undefined : h(doc, 'span', { class: 'ctapi-line-number', title: raw }, number)));
    }
    this.target.replaceChildren(h(doc, 'h2', {}, s.yourLines), lines.length === 0 ? h(doc, 'p', {}, s.noLines) : list);
    const ticking = this.talkingSince.size > 0;
    if (ticking && this.ticker === undefined) this.ticker = setInterval(() => this.render(this.last.lines, this.last.calls, this.last.connected), 1000);
    if (!ticking && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
