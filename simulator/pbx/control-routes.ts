// The control API of the simulated PBX as a route table: each route validates
// its input with zod and calls one PBX operation. The HTTP plumbing (bodies,
// errors, the event stream) lives in control-server.ts. Documented in
// docs/simulator.md.
import { CALL_CONTROLS } from '../../src/protocol/messages.ts';
import { z } from 'zod';
import { LineProviderError } from '../../src/connector/line-provider.ts';
import { CrmTapiError } from '../../src/protocol/errors.ts';
import { durationSchema as duration } from './duration.ts';
import type { SimulatedPbx } from './pbx.ts';
import { parseScenario } from './scenario.ts';
import { scheduleScenario } from './scenario-runner.ts';

export class ControlError extends CrmTapiError {
  constructor(
    readonly code: 'bad-request' | 'not-found' | 'payload-too-large',
    message: string,
  ) {
    super(message);
  }
}

export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
}

export interface RouteContext {
  readonly pbx: SimulatedPbx;
  readonly params: readonly string[];
  /** JSON body (undefined when empty), or the raw text for text bodies. */
  readonly body: unknown;
  readonly text: string;
  /** Reports a failure of something scheduled by a route (a timed answer, a scenario step). */
  readonly report: (message: string) => void;
}

type Handler = (ctx: RouteContext) => RouteResult;
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const ext = z.string().regex(/^\d{1,12}$/, 'an extension is 1 to 12 digits');

const schemas = {
  ring: z
    .object({
      from: z.string().min(1).max(40),
      name: z.string().max(80).optional(),
      to: ext,
      answerAfter: duration.optional(),
      hangupAfter: duration.optional(),
      twoIds: z.boolean().optional(),
    })
    .strict(),
  dial: z.object({ line: ext, to: z.string().min(1).max(60) }).strict(),
  addLine: z
    .object({
      extension: ext,
      name: z.string().max(80).optional(),
      displayName: z.string().max(80).optional(),
      video: z.boolean().optional(),
      // The call controls the line offers (default all): a line without them refuses hold, transfer, … with not-supported.
      controls: z.array(z.enum(CALL_CONTROLS)).max(CALL_CONTROLS.length).optional(),
    })
    .strict(),
  transfer: z.object({ to: ext }).strict(),
  pickup: z.object({ by: ext }).strict(),
  restart: z.object({ downFor: duration.optional() }).strict(),
  reinit: z.object({ reason: z.string().max(200).optional() }).strict(),
};

function input<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`);
    throw new ControlError('bad-request', problems.join('; '));
  }
  return parsed.data;
}

/** Runs `fn` later on the PBX clock; the call may have ended meanwhile, which is reported, not thrown. */
function later(ctx: RouteContext, delayMs: number, what: string, fn: () => void): void {
  ctx.pbx.clock.schedule(delayMs, () => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof LineProviderError)) throw err;
      ctx.report(`${what}: ${err.message}`);
    }
  });
}

const p = (ctx: RouteContext, i: number): string => decodeURIComponent(ctx.params[i] ?? '');
const noContent: RouteResult = { status: 204 };
const callAction = (name: 'answer' | 'drop' | 'reject' | 'hold' | 'resume' | 'accept'): Route => ({
  method: 'POST',
  pattern: new RegExp(`^/calls/([^/]+)/${name}$`),
  handler: (ctx) => (ctx.pbx[name](p(ctx, 0)), noContent),
});
const sessionAction = (path: string, name: 'remoteHangup' | 'remoteAnswer' | 'remoteBusy'): Route => ({
  method: 'POST',
  pattern: new RegExp(`^/sessions/([^/]+)/${path}$`),
  handler: (ctx) => (ctx.pbx[name](p(ctx, 0)), noContent),
});

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/(?:health)?$/,
    handler: ({ pbx }) => ({ status: 200, body: { service: 'crm-tapi-simulated-pbx', up: pbx.isUp(), lines: pbx.lines().length, calls: pbx.activeCalls().length } }),
  },
  { method: 'GET', pattern: /^\/lines$/, handler: ({ pbx }) => ({ status: 200, body: pbx.lines() }) },
  { method: 'POST', pattern: /^\/lines$/, handler: (ctx) => ({ status: 201, body: ctx.pbx.addLine(input(schemas.addLine, ctx.body)) }) },
  { method: 'DELETE', pattern: /^\/lines\/([^/]+)$/, handler: (ctx) => (ctx.pbx.removeLine(p(ctx, 0)), noContent) },
  { method: 'POST', pattern: /^\/lines\/([^/]+)\/out-of-service$/, handler: (ctx) => (ctx.pbx.setInService(p(ctx, 0), false), noContent) },
  { method: 'POST', pattern: /^\/lines\/([^/]+)\/in-service$/, handler: (ctx) => (ctx.pbx.setInService(p(ctx, 0), true), noContent) },
  { method: 'GET', pattern: /^\/calls$/, handler: ({ pbx }) => ({ status: 200, body: pbx.activeCalls() }) },
  {
    method: 'POST',
    pattern: /^\/calls$/,
    handler: (ctx) => {
      const args = input(schemas.ring, ctx.body);
      const result = ctx.pbx.incoming(args.name === undefined ? { number: args.from } : { number: args.from, name: args.name }, args.to, {
        twoIds: args.twoIds ?? false,
      });
      const first = result.callIds[0];
      if (first !== undefined) {
        if (args.answerAfter !== undefined) later(ctx, args.answerAfter, `answer ${first}`, () => ctx.pbx.answer(first));
        // Hang-up time counts from the answer when there is one, else from the first ring.
        const hangupAt = args.hangupAfter === undefined ? undefined : (args.answerAfter ?? 0) + args.hangupAfter;
        if (hangupAt !== undefined) later(ctx, hangupAt, `hang up ${result.session}`, () => ctx.pbx.remoteHangup(result.session));
      }
      return { status: 201, body: result };
    },
  },
  callAction('answer'),
  callAction('accept'),
  callAction('drop'),
  callAction('reject'),
  callAction('hold'),
  callAction('resume'),
  {
    method: 'POST',
    pattern: /^\/calls\/([^/]+)\/transfer$/,
    handler: (ctx) => (ctx.pbx.transfer(p(ctx, 0), input(schemas.transfer, ctx.body).to), noContent),
  },
  {
    method: 'POST',
    pattern: /^\/calls\/([^/]+)\/pickup$/,
    handler: (ctx) => ({ status: 201, body: { callId: ctx.pbx.pickup(p(ctx, 0), input(schemas.pickup, ctx.body).by) } }),
  },
  sessionAction('remote-hangup', 'remoteHangup'),
  sessionAction('remote-answer', 'remoteAnswer'),
  sessionAction('remote-busy', 'remoteBusy'),
  {
    method: 'POST',
    pattern: /^\/dial$/,
    handler: (ctx) => {
      const { line, to } = input(schemas.dial, ctx.body);
      return { status: 201, body: { callId: ctx.pbx.makeCall(line, to) } };
    },
  },
  {
    method: 'POST',
    pattern: /^\/restart$/,
    handler: (ctx) => (ctx.pbx.restart(input(schemas.restart, ctx.body).downFor), { status: 202 }),
  },
  {
    method: 'POST',
    pattern: /^\/reinit$/,
    handler: (ctx) => (ctx.pbx.requestReinit(input(schemas.reinit, ctx.body).reason), { status: 202 }),
  },
  {
    method: 'POST',
    pattern: /^\/scenario$/,
    handler: (ctx) => {
      const scenario = parseScenario(ctx.text, 'scenario');
      scheduleScenario(ctx.pbx, scenario, (error) => ctx.report(error.message));
      return { status: 202, body: { name: scenario.name, steps: scenario.steps.length } };
    },
  },
];
