// What the popup's header and a line's row say about a call, from its state
// and the time (pure: the caller passes `now`). The timer counts from the
// moment this client first saw the call talking, on its own clock: the
// manager's timestamps come from another machine's clock.
import type { CallView } from './calls.ts';
import type { Strings } from './i18n.ts';

export type CallPhase = 'ringing' | 'dialling' | 'busy' | 'connected' | 'onhold' | 'ended';

export function phaseOf(state: CallView['state']): CallPhase {
  switch (state) {
    case 'offering':
    case 'accepted':
      return 'ringing';
    case 'dialtone':
    case 'dialing':
    case 'proceeding':
    case 'ringback':
      return 'dialling';
    case 'busy':
      return 'busy';
    case 'connected':
      return 'connected';
    case 'onhold':
      return 'onhold';
    case 'disconnected':
    case 'idle':
      return 'ended';
  }
}

/** `m:ss` below an hour, `h:mm:ss` from then on; negative spans (a clock step) count as zero. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface HeaderFacts {
  call: Pick<CallView, 'state' | 'direction' | 'incoming' | 'answeredBy' | 'endedReason'>;
  /** When this client first saw the call connected (its own clock, ms); undefined before. */
  talkingSince: number | undefined;
  /** The agent rejected it here. */
  rejectedHere: boolean;
  now: number;
}

/** The header's words: "Incoming call", "Connected · 1:05", "On hold · 1:05", "Call rejected", … */
export function headerText(f: HeaderFacts, s: Strings): string {
  const { call } = f;
  const timer = f.talkingSince === undefined ? '' : ` · ${formatDuration(f.now - f.talkingSince)}`;
  switch (phaseOf(call.state)) {
    case 'ringing':
      return call.direction === 'internal' ? s.internalCall : call.incoming ? s.incomingCall : s.outgoingCall;
    case 'dialling':
      return s.calling;
    case 'busy':
      return s.lineBusyTone;
    case 'connected':
      return `${s.connected}${timer}`;
    case 'onhold':
      return `${s.onHold}${timer}`;
    case 'ended':
      if (f.rejectedHere || call.endedReason === 'rejected') return s.rejected;
      if (call.answeredBy !== undefined) return `${s.answeredBy} ${call.answeredBy}`;
      return f.talkingSince === undefined ? s.ended : `${s.ended}${timer}`;
  }
}
