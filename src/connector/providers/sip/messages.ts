// What baresip 1.0.0's ctrl_tcp sends, typed, and the pure readings of it the
// provider needs. Facts measured on Debian's baresip 1.0.0:
// - responses are `{"response":true,"ok":…,"data":"<human-readable text>","token":…}`;
//   the text carries ANSI colour codes (reginfo's "OK" is green);
// - events are `{"event":true,"type":…,"class":"call"|"register"|…,"accountaor":…,
//   "direction":"incoming"|"outgoing","peeruri":…,"id":<SIP Call-ID>,"param":…}`;
//   CALL_LOCAL_SDP of a new outgoing call comes before its id is known (no `id`);
// - CALL_CLOSED's param is the reason: "486 Rejected", "404 Not Found",
//   "Connection reset by peer" (remote BYE), "Connection reset by user" (our hangup).
import type { CallEndReason } from '../../line-provider.ts';

export interface CtrlResponse {
  readonly kind: 'response';
  readonly ok: boolean;
  readonly data: string;
  readonly token?: string;
}

export interface CtrlEvent {
  readonly kind: 'event';
  readonly type: string;
  readonly class?: string;
  readonly accountaor?: string;
  readonly direction?: 'incoming' | 'outgoing';
  readonly peeruri?: string;
  readonly id?: string;
  readonly param?: string;
}

export type CtrlMessage = CtrlResponse | CtrlEvent;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** One ctrl_tcp payload, or undefined when it is neither a response nor an event (ignored, never fatal). */
export function parseCtrlMessage(text: string): CtrlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o.response === true) return { kind: 'response', ok: o.ok === true, data: str(o.data) ?? '', token: str(o.token) };
  if (o.event === true && typeof o.type === 'string') {
    const direction = o.direction === 'incoming' || o.direction === 'outgoing' ? o.direction : undefined;
    return { kind: 'event', type: o.type, class: str(o.class), accountaor: str(o.accountaor), direction, peeruri: str(o.peeruri), id: str(o.id), param: str(o.param) };
  }
  return undefined;
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what we strip
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** `sip:25@pbx:5060;transport=udp` → `25`; display names and angle brackets are dropped. */
export function uriUser(uri: string): string {
  const inner = /<([^>]*)>/.exec(uri)?.[1] ?? uri;
  const m = /^sips?:([^@;>]+)@/i.exec(inner.trim());
  if (m) return decodeURIComponent(m[1] as string);
  return inner.replace(/^sips?:/i, '').split(/[;@]/)[0] ?? inner;
}

/** What a dial string may hold once spaces and punctuation are gone: digits, `+`, `*`, `#`, or a SIP URI. */
const DIALABLE = /^(?:\+?[0-9*#]{1,32}|sips?:[^\s<>"]{1,200})$/;

export function cleanDialString(dial: string): string | undefined {
  const trimmed = dial.trim();
  const clean = /^sips?:/i.test(trimmed) ? trimmed : trimmed.replace(/[\s\-()./]/g, '');
  return DIALABLE.test(clean) ? clean : undefined;
}

/**
 * The Refer-To URI of a blind transfer: a cleaned dial string on the domain of
 * the line's account, the way `dial` completes it (a SIP URI stays as it is).
 * `transfer` sends its argument as written, so the domain must be ours.
 */
export function transferUri(aor: string, target: string): string {
  if (/^sips?:/i.test(target)) return target;
  const domain = /@([^;>]+)/.exec(aor)?.[1] ?? '';
  return `${/^sips:/i.test(aor) ? 'sips' : 'sip'}:${target}@${domain}`;
}

/** The address-of-record of an account line `"Name" <sip:25@host>;auth_pass=…` → `sip:25@host` (params and secrets dropped). */
export function accountAor(account: string): string {
  const inner = /<([^>]*)>/.exec(account)?.[1] ?? account.split(';')[0] ?? account;
  return inner.trim();
}

export type Registration = 'ok' | 'failed' | 'unknown';

/**
 * Reads `reginfo`'s text: one row per user agent, `> sip:25@host   OK  server Expires 60s`
 * (the ">" marks the current one), "ERR" or "zzz" (not registered). AORs are compared
 * as written in the account.
 */
export function parseRegInfo(text: string): Map<string, Registration> {
  const out = new Map<string, Registration>();
  for (const raw of stripAnsi(text).split('\n')) {
    const m = /^\s*>?\s*(sips?:\S+)\s+(\S+)/.exec(raw);
    if (!m) continue;
    const status = m[2] as string;
    out.set(m[1] as string, status === 'OK' ? 'ok' : status === 'ERR' ? 'failed' : 'unknown');
  }
  return out;
}

/** The SIP status code at the start of a CALL_CLOSED param, if any. */
export function closeStatus(param: string | undefined): number | undefined {
  const m = /^\s*(\d{3})\b/.exec(param ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Why a call ended, from CALL_CLOSED's param and what we know of the call.
 * `ours` is the end we asked for (drop → normal, reject → rejected), which wins.
 */
export function endReason(param: string | undefined, call: { connected: boolean; incoming: boolean; ours?: CallEndReason }): CallEndReason {
  if (call.ours !== undefined) return call.ours;
  // baresip 1.0.0's words when the NOTIFY of our REFER says the target answered (blind transfer done).
  if (/^call transfer/i.test(param ?? '')) return 'transferred';
  const status = closeStatus(param);
  if (status !== undefined) {
    if (status === 486 && /rejected/i.test(param ?? '')) return 'rejected';
    if (status === 486 || status === 600) return 'busy';
    if (status === 603) return 'rejected';
    if (status === 408 || status === 480) return 'noAnswer';
    if (status === 487) return call.incoming ? 'callerHungUp' : 'normal';
    if (status === 404 || status === 484 || status === 604 || status === 410 || status >= 500) return 'unreachable';
    return 'normal';
  }
  // A BYE or CANCEL from the other side: before answer on an incoming call the caller gave up.
  if (call.incoming && !call.connected) return 'callerHungUp';
  return 'normal';
}
