import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkCallSequence } from '../../simulator/pbx/call-machine.ts';
import { parseScenario, ScenarioError } from '../../simulator/pbx/scenario.ts';
import { runScenarioVirtually } from '../../simulator/pbx/scenario-runner.ts';
import type { CallEvent } from './helpers.ts';

const dir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function run(file: string) {
  const result = runScenarioVirtually(parseScenario(readFileSync(dir + file, 'utf8'), file));
  const calls = result.events.filter((e): e is CallEvent => e.type === 'call');
  return { ...result, calls };
}

describe('scenario files', () => {
  it('there are scenarios for each situation the issue names', () => {
    for (const name of ['incoming-answered', 'missed-call', 'busy', 'hunt-group', 'transfer', 'internal-call', 'caller-hangs-up-while-ringing', 'line-out-of-service', 'pbx-restart']) {
      expect(files).toContain(`${name}.yaml`);
    }
  });

  it.each(files)('%s runs without a failed step, every call ends idle', (file) => {
    const { errors, calls, pbx, events } = run(file);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(calls.length).toBeGreaterThan(0);
    expect(checkCallSequence(calls, { requireIdle: true })).toEqual([]);
    expect(pbx.faults()).toEqual([]);
    expect(run(file).events).toEqual(events);
  });

  it('each scenario shows what it is named after', () => {
    const reasons = (file: string) => run(file).calls.map((e) => e.reason).filter((r) => r !== undefined);
    expect(reasons('missed-call.yaml')).toContain('noAnswer');
    expect(reasons('caller-hangs-up-while-ringing.yaml')).toContain('callerHungUp');
    expect(reasons('hunt-group.yaml')).toContain('pickedUpElsewhere');
    expect(reasons('transfer.yaml')).toContain('transferred');
    expect(reasons('busy.yaml')).toContain('busy');
    expect(reasons('line-out-of-service.yaml')).toContain('outOfService');
    expect(reasons('pbx-restart.yaml')).toContain('providerRestart');
    expect(run('transfer.yaml').calls.some((e) => e.redirecting?.number === '20')).toBe(true);
    expect(run('related-call-id.yaml').calls.some((e) => e.relatedCallId !== undefined)).toBe(true);
    expect(run('internal-call.yaml').calls.every((e) => e.origin === 'internal')).toBe(true);
    expect(run('pbx-restart.yaml').events.map((e) => e.type)).toEqual(expect.arrayContaining(['providerDown', 'providerUp']));
    expect(run('lines-added-removed.yaml').events.map((e) => e.type)).toEqual(expect.arrayContaining(['lineAdded', 'lineRemoved', 'reinitRequired']));
  });
});

describe('scenario validation', () => {
  const base = 'name: t\nlines: 20-25\nsteps:\n';
  const cases: [string, string, RegExp][] = [
    ['unknown action', '  - ring: { to: "25" }', /step 1: unknown key "ring"/],
    ['two actions', '  - call: { id: a, from: "1", to: "25" }\n    answer: { call: a }', /step 1: needs exactly one action, found call and answer/],
    ['no action', '  - after: 3s', /step 1: needs exactly one action, found none/],
    ['bad duration', '  - call: { id: a, from: "1", to: "25" }\n  - after: soon\n    answer: { call: a }', /step 2 \(answer\): after: "soon" is not a duration/],
    ['both at and after', '  - at: 1s\n    after: 2s\n    answer: { call: a }', /step 1 \(answer\): give either at or after/],
    ['time goes back', '  - at: 5s\n    call: { id: a, from: "1", to: "25" }\n  - at: 2s\n    answer: { call: a }', /step 2 \(answer\): at 2000 ms is before the previous step/],
    ['bad extension', '  - call: { id: a, from: "1", to: "2x" }', /step 1 \(call\): to: an extension is 1 to 12 digits/],
    ['unknown field', '  - answer: { call: a, when: now }', /step 1 \(answer\): .*when/],
    ['a step that is not a mapping', '  - 42', /step 1: a step is a mapping/],
    ['bad distribution', '  - load: { rate: 1, for: 10s, ring: fast, talk: 3s }', /step 1 \(load\): ring: "fast" is not a distribution/],
  ];
  it.each(cases)('%s', (_name, steps, message) => {
    const error = (() => {
      try {
        parseScenario(base + steps, 'bad.yaml');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).message).toMatch(message);
    expect((error as ScenarioError).message).toMatch(/^bad\.yaml: /);
  });

  it('YAML syntax errors name the file and line; bad headers name the key', () => {
    expect(() => parseScenario('name: [unclosed\nsteps: []', 'x.yaml')).toThrow(/^x\.yaml:\d+: /);
    expect(() => parseScenario('name: t\nlines: 29-20\nsteps: []', 'x.yaml')).toThrow(/lines: line range "29-20" runs backwards/);
    expect(() => parseScenario('name: t\nlines: 20\nsteps: []\ncolour: red', 'x.yaml')).toThrow(/colour/);
  });

  it('a step that cannot be carried out is reported with its index, and the run goes on', () => {
    const scenario = parseScenario(base + '  - answer: { call: ghost }\n  - call: { id: a, from: "1", to: "25" }\n  - answer: { call: a, line: "21" }', 's.yaml');
    const { errors, events } = runScenarioVirtually(scenario);
    expect(errors.map((e) => [e.step, e.code])).toEqual([
      [1, 'scenario-step-failed'],
      [3, 'scenario-step-failed'],
    ]);
    expect(errors[0]?.message).toMatch(/step 1 \(answer\): call "ghost" is not started/);
    expect(errors[1]?.message).toMatch(/step 3 \(answer\): call "a" has no ringing leg on line 21/);
    expect(events.length).toBeGreaterThan(0);
  });
});
