// bench/manager.ts's rounds: each round is a bare relay, (--codec-relay) a relay that decodes and encodes
// (--journal-relay: and journals and acknowledges), and a flat-out manager run, one after the other. The
// verdict judges the median of the rounds' manager / bare relay p99 ratios; the codec relay's ratios are
// printed beside them and not judged.
import { percentile } from './popups.ts';

export interface Round {
  /** p99 (ms) of the bare relay, the codec relay (when run) and the flat-out manager run. */
  relay: number;
  codec: number | undefined;
  manager: number;
  /** The flat-out run's longest outbox store call on the loop (ms). */
  storeMax: number;
  /** Connectors the flat-out run left unacknowledged below their last frame. */
  unacked: number;
  /** A run of the round delivered fewer popups than were sent. */
  lost: boolean;
}

/** One round from its runs' latencies (ms) and the flat-out run's store and acknowledgement figures. */
export function roundOf(expected: number, relay: readonly number[], codec: readonly number[] | undefined, manager: { latencies: readonly number[]; storeMax: number; unacked: number }): Round {
  const short = (l: readonly number[] | undefined) => l !== undefined && l.length < expected;
  return {
    relay: percentile(relay, 99),
    codec: codec === undefined ? undefined : percentile(codec, 99),
    manager: percentile(manager.latencies, 99),
    storeMax: manager.storeMax,
    unacked: manager.unacked,
    lost: short(relay) || short(codec) || short(manager.latencies),
  };
}

/** The judged ratio (the median of manager / bare relay; the upper one for an even count) and the lines to print. */
export function roundsReport(rounds: readonly Round[], codecLabel = 'relay + codec'): { ratio: number; lines: string[] } {
  const ratios = rounds.map((r) => r.manager / r.relay);
  const ratio = percentile(ratios, 50);
  const lines: string[] = [];
  if (rounds.length > 1) {
    lines.push(`rounds (relay and flat-out run interleaved): ${rounds.map((r, i) => `${i + 1}: ${r.manager.toFixed(2)} / ${r.relay.toFixed(2)} ms = ${ratios[i]!.toFixed(2)}x`).join('; ')}; median ${ratio.toFixed(2)}x`);
  }
  // How much of the 1.5× the protocol's own decoding and encoding takes, and what the manager adds on top of it.
  const withCodec = rounds.flatMap((r) => (r.codec === undefined ? [] : [{ ...r, codec: r.codec }]));
  if (withCodec.length > 0) {
    const overRelay = withCodec.map((r) => r.codec / r.relay);
    const managerOver = withCodec.map((r) => r.manager / r.codec);
    lines.push(`${codecLabel} p99 (not judged): ${withCodec.map((r, i) => `${i + 1}: ${r.codec.toFixed(2)} ms = ${overRelay[i]!.toFixed(2)}x the bare relay`).join('; ')}; median ${percentile(overRelay, 50).toFixed(2)}x; the flat-out run's p99 over it: median ${percentile(managerOver, 50).toFixed(2)}x`);
  }
  return { ratio, lines };
}
