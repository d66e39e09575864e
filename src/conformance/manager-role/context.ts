// What the manager role knows about the implementation under test and what it
// carries from case to case: the sequence numbers of the host it plays (a
// manager remembers what it acknowledged, so the suite continues above it)
// and a counter for unique calls, numbers and request ids.
import { randomBytes } from 'node:crypto';
import type { Prover } from '../proof.ts';

export interface ManagerTarget {
  /** The manager's TAPI port (connectors). */
  tcpHost: string;
  tcpPort: number;
  /** The manager's WebSocket URL (browser clients). */
  wsUrl: string;
  /** A connector key the manager accepts. */
  connectorKey: string;
  /** Origin header for the WebSocket (a manager checks it against its allowed origins). */
  origin?: string;
  /** Connector host name the suite registers as (the CRM must assign `<host>:<line>` to the proving user for the call cases). */
  connectorHost: string;
  /** Line names the suite reports for its host. */
  lines: string[];
  /** How the suite proves a browser client; absent: the cases that need it are skipped. */
  prover?: Prover;
  /** How long a reply may take (ms). */
  replyMs: number;
  /** How long "nothing arrives" is watched where no later message can bound it (ms). */
  quietMs: number;
  /** The manager's grace after the keep-alive interval before it drops a silent connector (s; the manual's 15). */
  keepAliveGraceSeconds: number;
}

export class ManagerContext {
  /** Highest seq the manager acknowledged to the suite's host (what the suite claims in register). */
  acked: number | undefined;
  /** Last seq the suite used. */
  seq = 0;
  /** The keep-alive interval the manager announced last (s). */
  keepAliveInterval = 20;
  private counter = 0;
  /** A line no CRM user can be entitled to: its name is new in every run. */
  readonly unassignedLine: string;
  readonly runId: string;

  constructor(readonly target: ManagerTarget) {
    this.runId = randomBytes(3).toString('hex');
    this.unassignedLine = `x${this.runId}`;
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** A fresh token for call ids, numbers and request ids of this run. */
  unique(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.runId}${this.counter}`;
  }

  /** A caller number no earlier call of the run had (digits, leading zeros kept on the wire). */
  uniqueNumber(): string {
    this.counter += 1;
    return `0049301${String(parseInt(this.runId, 16) % 10_000).padStart(4, '0')}${String(this.counter).padStart(3, '0')}`;
  }

  fullLine(line: string): string {
    return `${this.target.connectorHost}:${line}`;
  }
}
