// `crm-tapi replay SESSION --through-stack`: a recorded PBX session played
// through the whole bridge — the demo stack (simulated Dataverse, the real
// manager, a real connector whose provider is the replay) with simulated
// agents signed in on the session's lines — and reduced to its outcome: per
// call, which users got a popup in which states, the call log entry and the
// phone call, with their times. The session plays on a virtual clock: events
// follow each other as fast as the stack takes them, and the connector stamps
// each with its recorded moment (the header's `startedAt` plus the entry's
// `t`), so the times in the CRM are the recording's, whatever the machine.
import { basename } from 'node:path';
import { signInAgent, type Agent } from '../../../simulator/agents.ts';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { CallInfo, LineInfo, LineProvider, ProviderListener } from '../../connector/line-provider.ts';
import { ReplayProvider } from '../../connector/providers/replay.ts';
import type { Recording } from '../../connector/recording/format.ts';
import { createSchema } from '../../dataverse/schema.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { CONNECTOR_HOST, DEMO_USERS, startDemoStack, type DemoUser } from './demo-stack.ts';

/** Who sits on which line unless the golden says otherwise (the demo users; 22 is shared). */
export const DEFAULT_REPLAY_ASSIGNMENTS: Readonly<Record<string, readonly DemoUser[]>> = {
  '20': ['jens'], '21': ['emily'], '22': ['emily', 'jens'], '23': ['anna'], '24': ['jens'], '25': ['anna'], '26': ['emily'], '27': ['anna'], '28': ['jens'], '29': ['emily'],
};
/**
 * Once every event is acknowledged and the manager's outbox is empty, the
 * outcome must also stay the same this long (a call's records are queued
 * just after its last event is acknowledged).
 */
const QUIET_MS = 300;
/** Give up waiting for the stack to settle after this long: generous, because a loaded CI machine (two cores, other suites) can take tens of seconds for what takes 3 s when quiet; a broken replay still ends. */
const SETTLE_DEADLINE_MS = 90_000;

export class ReplayStackError extends CrmTapiError {
  constructor(
    readonly code: 'replay-not-settled',
    message: string,
  ) {
    super(message);
  }
}

export interface CallOutcome {
  popups: Record<string, string[]>;
  callLog?: Record<string, unknown>;
  phoneCall?: Record<string, unknown>;
}

export interface StackOutcome {
  session: string;
  assignments: Record<string, DemoUser[]>;
  calls: Record<string, CallOutcome>;
}

/** Opens with the recording's lines at once, but plays nothing until `go()`: the stack first assigns users and signs agents in. */
class HeldReplay implements LineProvider {
  readonly kind = 'replay';
  private opened = false;
  constructor(
    readonly inner: ReplayProvider,
    private readonly header: readonly LineInfo[],
  ) {}
  go(): Promise<readonly LineInfo[]> {
    this.opened = true;
    return this.inner.open();
  }
  open = async (): Promise<readonly LineInfo[]> => this.header;
  lines = (): readonly LineInfo[] => (this.opened ? this.inner.lines() : this.header);
  activeCalls = (): readonly CallInfo[] => (this.opened ? this.inner.activeCalls() : []);
  subscribe = (listener: ProviderListener): (() => void) => this.inner.subscribe(listener);
  makeCall = (line: string, dial: string): Promise<string> => this.inner.makeCall(line, dial);
  answer = (id: string): Promise<void> => this.inner.answer(id);
  drop = (id: string): Promise<void> => this.inner.drop(id);
  reject = (id: string): Promise<void> => this.inner.reject(id);
  hold = (id: string): Promise<void> => this.inner.hold(id);
  unhold = (id: string): Promise<void> => this.inner.unhold(id);
  transfer = (id: string, dial: string): Promise<void> => this.inner.transfer(id, dial);
  consult = (id: string, dial: string): Promise<string> => this.inner.consult(id, dial);
  completeTransfer = (id: string): Promise<void> => this.inner.completeTransfer(id);
  cancelConsult = (id: string): Promise<void> => this.inner.cancelConsult(id);
  conference = (id: string): Promise<void> => this.inner.conference(id);
  reinitialize = (): Promise<void> => this.inner.reinitialize();
  close = (): Promise<void> => this.inner.close();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function pick(record: Record<string, unknown> | undefined, keys: Record<string, string>): Record<string, unknown> | undefined {
  if (record === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(keys)) out[name] = record[key] ?? null;
  return out;
}

function collapse(states: string[]): string[] {
  return states.filter((s, i) => i === 0 || states[i - 1] !== s);
}

/** The id of a stored lookup (`{ id, logicalName }`). */
function ref(value: unknown): { id: string; logicalName: string } | undefined {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string; logicalName: string }) : undefined;
}

function userName(value: unknown): string | null {
  const id = ref(value)?.id;
  if (id === undefined) return null;
  return Object.entries(DEMO_USERS).find(([, u]) => u.id === id)?.[0] ?? `systemuser ${id}`;
}

function regarding(dv: SimulatedDataverse, value: unknown): string | null {
  const r = ref(value);
  if (r === undefined) return null;
  const record = dv.store.get(r.logicalName, r.id);
  return `${r.logicalName} ${String(record?.fullname ?? record?.name ?? r.id)}`;
}

function outcomeOf(dv: SimulatedDataverse, agents: Map<DemoUser, Agent>, callIds: readonly string[]): Record<string, CallOutcome> {
  const schema = createSchema();
  const log = schema.callLog;
  const f = log.fields;
  const logs = [...dv.store.all(log.logicalName)];
  const phoneCalls = [...dv.store.all('phonecall')];
  const calls: Record<string, CallOutcome> = {};
  for (const callId of callIds) {
    const callKey = `${CONNECTOR_HOST}/${callId}`;
    const popups: Record<string, string[]> = {};
    for (const [user, agent] of [...agents].sort(([a], [b]) => a.localeCompare(b))) {
      const states = collapse(agent.notifications.filter((n) => n.callKey === callKey).map((n) => n.state));
      if (states.length > 0) popups[user] = states;
    }
    const entry = logs.find((r) => r[f.callKey] === callKey);
    const phoneCallId = ref(entry?.[f.phoneCall])?.id;
    const phoneCall = phoneCalls.find((r) => r.activityid === phoneCallId);
    calls[callId] = {
      popups,
      ...(entry ? { callLog: { ...pick(entry, { number: f.number, line: f.line, direction: f.direction, missed: f.missed }), user: userName(entry[f.user]), ...pick(entry, { start: f.start, connected: f.connected, end: f.end, durationSeconds: f.duration }) } } : {}),
      ...(phoneCall ? { phoneCall: { ...pick(phoneCall, { subject: 'subject', directioncode: 'directioncode', phonenumber: 'phonenumber' }), owner: userName(phoneCall.ownerid), regarding: regarding(dv, phoneCall.regardingobjectid), ...pick(phoneCall, { actualstart: 'actualstart', actualend: 'actualend', actualdurationminutes: 'actualdurationminutes' }) } } : {}),
    };
  }
  return calls;
}

export interface ReplayStackOptions {
  /**
   * Play at this multiple of the recorded pace instead of as fast as the
   * stack takes it. The outcome must not change: its times come from the
   * recording, not from when the events were played (the tests show it).
   */
  readonly speed?: number;
}

/** Plays `recording` through the stack and returns its outcome. */
export async function replayThroughStack(file: string, recording: Recording, assignmentsIn?: Record<string, DemoUser[]>, options: ReplayStackOptions = {}): Promise<StackOutcome> {
  const lines = recording.header.lines.map((l) => l.name);
  const assignments = assignmentsIn ?? Object.fromEntries(lines.filter((l) => DEFAULT_REPLAY_ASSIGNMENTS[l] !== undefined).map((l) => [l, [...(DEFAULT_REPLAY_ASSIGNMENTS[l] as DemoUser[])]]));
  const held = new HeldReplay(new ReplayProvider(recording, options.speed === undefined ? { fast: true } : { speed: options.speed }), recording.header.lines);
  const origin = Date.parse(recording.header.startedAt);
  const stack = await startDemoStack({
    logLevel: 'warn',
    // Before the session plays, the clock stands at its start (the lines' first report).
    connectorNow: () => origin + held.inner.playedTo,
    provider: { Kind: 'replay', File: file },
    createProvider: async () => ({ provider: held }),
    assignments: Object.entries(assignments).map(([line, users]) => ({ line, users })),
  });
  const agents = new Map<DemoUser, Agent>();
  try {
    for (const user of new Set(Object.values(assignments).flat())) {
      const u = DEMO_USERS[user];
      agents.set(user, await signInAgent({ dv: stack.dv, webSocketUrl: stack.webSocketUrl, upn: u.upn, password: u.password }));
    }
    await held.go();
    await held.inner.finished;
    const callIds = [...new Set(recording.entries.flatMap((e) => ('event' in e && e.event.type === 'call' ? [e.event.callId] : [])))];
    // Settled: every event acknowledged, every record written, every notification read, and then quiet.
    const deadline = Date.now() + SETTLE_DEADLINE_MS;
    let last = '';
    let quietSince = Date.now();
    for (;;) {
      for (const agent of agents.values()) await agent.barrier();
      const buffer = stack.connector.service.stats.buffer;
      const outbox = stack.manager().outbox.stats();
      const busy = buffer.ackedSeq < buffer.lastSeq || outbox.pending > 0 || outbox.inFlight > 0;
      const now = JSON.stringify(outcomeOf(stack.dv, agents, callIds));
      if (now !== last || busy) {
        last = now;
        quietSince = Date.now();
      }
      if (Date.now() - quietSince >= QUIET_MS) return { session: basename(file), assignments, calls: JSON.parse(now) as Record<string, CallOutcome> };
      if (Date.now() > deadline) throw new ReplayStackError('replay-not-settled', `the stack did not settle within ${SETTLE_DEADLINE_MS / 1000} s (unacknowledged events ${buffer.lastSeq - buffer.ackedSeq}, outbox pending ${outbox.pending}, in flight ${outbox.inFlight})`);
      await sleep(50);
    }
  } finally {
    for (const agent of agents.values()) await agent.close();
    await stack.stop();
  }
}
