// Plays a parsed scenario on a SimulatedPbx: each step is scheduled on the
// PBX's clock at its time. A step that cannot be carried out (the call has
// already ended, the line is unknown) is reported with its index and the run
// goes on, as a person at the control endpoint would.
import { LineProviderError } from '../../src/connector/line-provider.ts';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { VirtualClock } from './clock.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { startLoad } from './load.ts';
import type { LoadRun } from './load.ts';
import type { SessionLeg } from './pbx-core.ts';
import { SimulatedPbx } from './pbx.ts';
import type { PbxTiming } from './pbx.ts';
import { seededRandom } from './prng.ts';
import { ScenarioError } from './scenario.ts';
import type { Action, Scenario } from './scenario.ts';

const TIMING_KEYS: Record<string, keyof PbxTiming> = {
  dial: 'dialMs',
  proceeding: 'proceedingMs',
  ringback: 'ringbackMs',
  remoteAnswer: 'remoteAnswerMs',
  noAnswer: 'noAnswerMs',
  busyTone: 'busyToneMs',
  restart: 'restartMs',
};

/** A PBX set up as the scenario's header says. */
export function pbxForScenario(scenario: Scenario, clock: Clock): SimulatedPbx {
  const timing: Partial<Record<keyof PbxTiming, number>> = {};
  for (const [key, ms] of Object.entries(scenario.timing)) {
    const name = TIMING_KEYS[key];
    if (name !== undefined) timing[name] = ms;
  }
  return new SimulatedPbx({ clock, lines: scenario.lines, huntGroups: scenario.huntGroups, timing });
}

export interface ScenarioRun {
  readonly errors: ScenarioError[];
  /** Clock time of the last step. */
  readonly lastStepAt: number;
  cancel(): void;
}

export function scheduleScenario(pbx: SimulatedPbx, scenario: Scenario, onError?: (error: ScenarioError) => void): ScenarioRun {
  const start = pbx.clock.now();
  const sessions = new Map<string, string>();
  const timers: TimerHandle[] = [];
  const loads: LoadRun[] = [];
  const errors: ScenarioError[] = [];
  const random = seededRandom(scenario.seed ?? 1);

  scenario.steps.forEach((step, index) => {
    timers.push(
      pbx.clock.schedule(start + step.at - pbx.clock.now(), () => {
        try {
          perform(step.action);
        } catch (err) {
          if (!(err instanceof LineProviderError) && !(err instanceof ScenarioError)) throw err;
          const failure = new ScenarioError('scenario-step-failed', `${scenario.name}: step ${index + 1} (${step.action.kind}): ${err.message}`, index + 1);
          errors.push(failure);
          onError?.(failure);
        }
      }),
    );
  });

  function session(label: string): string {
    const id = sessions.get(label);
    if (id === undefined) throw new ScenarioError('scenario-step-failed', `call "${label}" is not started by an earlier call or dial step`);
    return id;
  }

  /** The one leg of a call a step means: on `line` if given, else the only candidate. */
  function leg(label: string, line: string | undefined, roles: readonly SessionLeg['role'][]): string {
    const candidates = pbx.legsOf(session(label), line).filter((l) => roles.includes(l.role));
    const where = line === undefined ? '' : ` on line ${line}`;
    if (candidates.length === 0) throw new ScenarioError('scenario-step-failed', `call "${label}" has no ${roles.join('/')} leg${where} now`);
    if (candidates.length > 1) throw new ScenarioError('scenario-step-failed', `call "${label}" is on ${candidates.length} lines; say which with line:`);
    return (candidates[0] as SessionLeg).callId;
  }

  function perform(action: Action): void {
    switch (action.kind) {
      case 'call': {
        const { id, from, name, to, twoIds } = action.args;
        const result = pbx.incoming(name === undefined ? { number: from } : { number: from, name }, to, { twoIds: twoIds ?? false });
        sessions.set(id, result.session);
        return;
      }
      case 'dial': {
        const { id, line, to, farEnd, answerAfter } = action.args;
        const kind = farEnd ?? 'answer';
        const callId = pbx.makeCall(line, to, kind === 'answer' ? { kind, afterMs: answerAfter ?? pbx.timing.remoteAnswerMs } : { kind });
        const sessionId = pbx.sessionOfCall(callId);
        if (sessionId !== undefined) sessions.set(id, sessionId);
        return;
      }
      case 'accept':
        return pbx.accept(leg(action.args.call, action.args.line, ['ringing']));
      case 'answer':
        return pbx.answer(leg(action.args.call, action.args.line, ['ringing']));
      case 'reject':
        return pbx.reject(leg(action.args.call, action.args.line, ['ringing']));
      case 'hangup':
        if (action.args.by === 'remote') return pbx.remoteHangup(session(action.args.call));
        return pbx.drop(leg(action.args.call, action.args.by, ['caller', 'answered', 'ringing']));
      case 'remoteAnswer':
        return pbx.remoteAnswer(session(action.args.call));
      case 'remoteBusy':
        return pbx.remoteBusy(session(action.args.call));
      case 'hold':
        return pbx.hold(leg(action.args.call, action.args.line, ['caller', 'answered']));
      case 'resume':
        return pbx.resume(leg(action.args.call, action.args.line, ['caller', 'answered']));
      case 'transfer':
        return pbx.transfer(leg(action.args.call, action.args.line, ['answered']), action.args.to);
      case 'pickup':
        pbx.pickup(leg(action.args.call, action.args.line, ['ringing']), action.args.by);
        return;
      case 'outOfService':
        return pbx.setInService(action.args, false);
      case 'inService':
        return pbx.setInService(action.args, true);
      case 'addLine':
        pbx.addLine(action.args);
        return;
      case 'removeLine':
        return pbx.removeLine(action.args);
      case 'restart':
        return pbx.restart(action.args?.downFor);
      case 'reinit':
        return pbx.requestReinit(action.args?.reason);
      case 'load': {
        const { rate, ring, talk, missed, outbound } = action.args;
        loads.push(
          startLoad(pbx, { callsPerSecond: rate, durationMs: action.args.for, ring, talk, missedShare: missed ?? 0, outboundShare: outbound ?? 0, random }),
        );
        return;
      }
    }
  }

  const lastStepAt = start + (scenario.steps.at(-1)?.at ?? 0);
  return {
    errors,
    lastStepAt,
    cancel(): void {
      for (const timer of timers) timer.cancel();
      for (const load of loads) load.stop();
    },
  };
}

export interface VirtualRun {
  readonly pbx: SimulatedPbx;
  readonly events: ProviderEvent[];
  readonly errors: ScenarioError[];
}

/** Runs a whole scenario on a fresh virtual clock until nothing is left to happen. */
export function runScenarioVirtually(scenario: Scenario): VirtualRun {
  const clock = new VirtualClock();
  const pbx = pbxForScenario(scenario, clock);
  const events: ProviderEvent[] = [];
  pbx.subscribe((event) => events.push(event));
  const run = scheduleScenario(pbx, scenario);
  clock.runUntilIdle();
  return { pbx, events, errors: run.errors };
}
