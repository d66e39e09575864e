// Scenario files: a PBX set-up and timed steps, in YAML (or JSON, which is
// YAML too). The format is documented in docs/simulator.md; every mistake is
// reported with the step index and the key, e.g. `step 3 (answer): line: …`.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { CrmTapiError } from '../../src/protocol/errors.ts';
import { durationSchema as duration } from './duration.ts';
import { LineSpecError, parseLineSpec } from './lines.ts';
import { LoadError, parseDistribution } from './load.ts';
import type { LineDef } from './pbx.ts';

export class ScenarioError extends CrmTapiError {
  constructor(
    readonly code: 'scenario-syntax' | 'scenario-invalid' | 'scenario-step-failed',
    message: string,
    /** 1-based index of the step at fault, when one is. */
    readonly step?: number,
  ) {
    super(message);
  }
}

// YAML reads `to: 25` as a number; an extension is still meant.
const ext = z.preprocess(
  (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : v),
  z.string().regex(/^\d{1,12}$/, 'an extension is 1 to 12 digits'),
);
const id = z.string().min(1).max(40);
const number = z.string().min(1).max(40);
const distribution = z.string().transform((value, ctx) => {
  try {
    return parseDistribution(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof LoadError ? err.message : 'not a distribution' });
    return z.NEVER;
  }
});
const share = z.number().min(0).max(1);
const callRef = z.object({ call: id, line: ext.optional() }).strict();
const lineRef = z.union([ext, z.object({ line: ext }).strict().transform((v) => v.line)], { error: 'give an extension such as "25"' });

/** The action of each step kind: `name: payload`. */
const ACTIONS = {
  call: z.object({ id, from: number, name: z.string().max(80).optional(), to: ext, twoIds: z.boolean().optional() }).strict(),
  dial: z
    .object({ id, line: ext, to: number, farEnd: z.enum(['answer', 'busy', 'noAnswer', 'manual']).optional(), answerAfter: duration.optional() })
    .strict(),
  accept: callRef,
  answer: callRef,
  reject: callRef,
  hangup: z.object({ call: id, by: z.union([z.literal('remote'), ext], { error: 'by is "remote" (the outside party) or the extension that hangs up' }) }).strict(),
  remoteAnswer: z.object({ call: id }).strict(),
  remoteBusy: z.object({ call: id }).strict(),
  hold: callRef,
  resume: callRef,
  transfer: z.object({ call: id, line: ext.optional(), to: ext }).strict(),
  pickup: z.object({ call: id, line: ext.optional(), by: ext }).strict(),
  outOfService: lineRef,
  inService: lineRef,
  addLine: z.object({ extension: ext, name: z.string().max(80).optional(), displayName: z.string().max(80).optional(), video: z.boolean().optional() }).strict(),
  removeLine: lineRef,
  restart: z.object({ downFor: duration.optional() }).strict().nullable(),
  reinit: z.object({ reason: z.string().max(200).optional() }).strict().nullable(),
  load: z
    .object({ rate: z.number().positive().max(100_000), for: duration, ring: distribution, talk: distribution, missed: share.optional(), outbound: share.optional() })
    .strict(),
} as const;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];
export type Action = { [K in ActionName]: { readonly kind: K; readonly args: z.output<(typeof ACTIONS)[K]> } }[ActionName];

export interface ScenarioStep {
  /** Milliseconds from the scenario's start. */
  readonly at: number;
  readonly action: Action;
}

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly seed?: number;
  readonly lines: readonly LineDef[];
  readonly huntGroups: Readonly<Record<string, readonly string[]>>;
  readonly timing: Readonly<Record<string, number>>;
  readonly steps: readonly ScenarioStep[];
}

const lineDef = z.union([ext.transform((extension) => ({ extension })), ACTIONS.addLine]);
const header = z
  .object({
    name: z.string().min(1).max(80),
    description: z.string().max(2000).optional(),
    seed: z.number().int().nonnegative().optional(),
    lines: z.union([z.string(), z.number().int().nonnegative().transform(String), z.array(lineDef).min(1)], {
      error: 'give a range such as "20-29" or a list of extensions',
    }),
    huntGroups: z.record(ext, z.array(ext).min(1)).optional(),
    timing: z.partialRecord(z.enum(['dial', 'proceeding', 'ringback', 'remoteAnswer', 'noAnswer', 'busyTone', 'restart']), duration).optional(),
    steps: z.array(z.unknown()).max(10_000),
  })
  .strict();
const stepTime = z.object({ at: duration.optional(), after: duration.optional() });

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; ');
}

/** Parses and validates scenario text; `origin` names the file in messages. */
export function parseScenario(text: string, origin = 'scenario'): Scenario {
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first !== undefined) {
    const where = first.linePos?.[0] === undefined ? '' : `:${first.linePos[0].line}`;
    throw new ScenarioError('scenario-syntax', `${origin}${where}: ${first.message.split('\n')[0] ?? 'invalid YAML'}`);
  }
  const top = header.safeParse(doc.toJS());
  if (!top.success) throw new ScenarioError('scenario-invalid', `${origin}: ${issues(top.error)}`);
  let lines: LineDef[];
  try {
    lines = typeof top.data.lines === 'string' ? parseLineSpec(top.data.lines).map((extension) => ({ extension })) : top.data.lines;
  } catch (err) {
    if (err instanceof LineSpecError) throw new ScenarioError('scenario-invalid', `${origin}: lines: ${err.message}`);
    throw err;
  }
  const steps: ScenarioStep[] = [];
  let previous = 0;
  top.data.steps.forEach((raw, index) => {
    const n = index + 1;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw stepError(n, 'a step is a mapping such as `after: 3s` plus one action');
    const keys = Object.keys(raw).filter((key) => key !== 'at' && key !== 'after');
    const names = keys.filter((key): key is ActionName => (ACTION_NAMES as string[]).includes(key));
    const unknown = keys.filter((key) => !(ACTION_NAMES as string[]).includes(key));
    if (unknown.length > 0) throw stepError(n, `unknown key "${unknown[0]}"; actions are ${ACTION_NAMES.join(', ')}`);
    if (names.length !== 1) throw stepError(n, `needs exactly one action, found ${names.length === 0 ? 'none' : names.join(' and ')}`);
    const name = names[0] as ActionName;
    const time = stepTime.safeParse(raw);
    if (!time.success) throw stepError(n, issues(time.error), name);
    if (time.data.at !== undefined && time.data.after !== undefined) throw stepError(n, 'give either at or after, not both', name);
    const at = time.data.at ?? previous + (time.data.after ?? 0);
    if (at < previous) throw stepError(n, `at ${at} ms is before the previous step (${previous} ms); steps are in time order`, name);
    const args = ACTIONS[name].safeParse((raw as Record<string, unknown>)[name]);
    if (!args.success) throw stepError(n, issues(args.error), name);
    steps.push({ at, action: { kind: name, args: args.data } as Action });
    previous = at;
  });
  return {
    name: top.data.name,
    ...(top.data.description === undefined ? {} : { description: top.data.description }),
    ...(top.data.seed === undefined ? {} : { seed: top.data.seed }),
    lines,
    huntGroups: top.data.huntGroups ?? {},
    timing: top.data.timing ?? {},
    steps,
  };

  function stepError(n: number, message: string, name?: string): ScenarioError {
    return new ScenarioError('scenario-invalid', `${origin}: step ${n}${name === undefined ? '' : ` (${name})`}: ${message}`, n);
  }
}
