// Fault injection: rules that make matching requests fail the way a busy or broken Dataverse
// does — service protection 429 with any Retry-After (seconds, HTTP date or nonsense), 503,
// added latency, connection reset, "the write happened but the response was lost" (reset or
// 504 after the commit), or "unauthorized": the Web API refuses the credential presented (401
// with the challenge headers, as for a revoked or expired token) and the token endpoint refuses
// the client's credentials (as for a changed password or an expired client secret). A rule fires N times or with a probability drawn from a seeded PRNG,
// so a failing test replays exactly.
import { z } from 'zod';
import { describeIssues } from '../../src/config/file.ts';
import { SimulatorError } from './errors.ts';

export const FAULT_KINDS = ['throttle', 'unavailable', 'latency', 'reset', 'lose-response', 'unauthorized'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultRuleSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  /** Which endpoints: the Web API (default), the token endpoints, or both. */
  target: z.enum(['webapi', 'token', 'any']).default('webapi'),
  /** HTTP method to match (GET, POST, PATCH, DELETE); absent = any. */
  method: z.string().transform((s) => s.toUpperCase()).optional(),
  /** Substring of the path and query to match, or a regular expression written /…/. */
  path: z.string().optional(),
  /** Fire this many times, then retire; absent = until cleared. */
  times: z.int().positive().optional(),
  /** Fire with this probability (seeded PRNG); default 1. */
  probability: z.number().min(0).max(1).default(1),
  /** throttle/unavailable: the Retry-After header value, sent verbatim (e.g. "2", "abc", "-1", an HTTP date); absent = no header. */
  retryAfter: z.string().optional(),
  /** throttle: which service protection limit (Dataverse error code). */
  limit: z.enum(['requests', 'execution-time', 'concurrency']).default('requests'),
  /** latency: added milliseconds before the request is handled. */
  latencyMs: z.int().min(0).max(600_000).optional(),
  /** lose-response: how the response is lost after the write was committed. */
  mode: z.enum(['reset', '504']).default('reset'),
});
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema> & { id: number; fired: number };

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRequest {
  target: 'webapi' | 'token';
  method: string;
  /** Path plus query as the client sent it. */
  path: string;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private random: () => number;
  /** Number of times any rule fired, per kind. */
  readonly fired: Record<FaultKind, number> = { throttle: 0, unavailable: 0, latency: 0, reset: 0, 'lose-response': 0, unauthorized: 0 };

  constructor(seed = 1, private readonly onExpireTokens: () => number = () => 0) {
    this.random = prng(seed);
  }

  /** Adds a rule; returns its id. Throws SimulatorError for an invalid rule. */
  add(input: FaultRuleInput | unknown): number {
    const parsed = faultRuleSchema.safeParse(input);
    if (!parsed.success) throw new SimulatorError('sim-options-invalid', describeIssues(parsed.error, 'fault rule').message);
    if (parsed.data.kind === 'latency' && parsed.data.latencyMs === undefined) {
      throw new SimulatorError('sim-options-invalid', 'fault rule: a latency rule needs latencyMs');
    }
    const rule: FaultRule = { ...parsed.data, id: this.nextId, fired: 0 };
    this.nextId += 1;
    this.rules.push(rule);
    return rule.id;
  }

  /** Shorthands for tests. */
  throttle(opts: Omit<FaultRuleInput, 'kind'> = {}): number { return this.add({ ...opts, kind: 'throttle' }); }
  unavailable(opts: Omit<FaultRuleInput, 'kind'> = {}): number { return this.add({ ...opts, kind: 'unavailable' }); }
  latency(latencyMs: number, opts: Omit<FaultRuleInput, 'kind' | 'latencyMs'> = {}): number { return this.add({ ...opts, kind: 'latency', latencyMs }); }
  reset(opts: Omit<FaultRuleInput, 'kind'> = {}): number { return this.add({ ...opts, kind: 'reset' }); }
  loseResponse(opts: Omit<FaultRuleInput, 'kind'> = {}): number { return this.add({ ...opts, kind: 'lose-response' }); }
  unauthorized(opts: Omit<FaultRuleInput, 'kind'> = {}): number { return this.add({ ...opts, kind: 'unauthorized' }); }

  /** Invalidates every access token issued so far; returns how many. */
  expireTokensNow(): number {
    return this.onExpireTokens();
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  reseed(seed: number): void {
    this.random = prng(seed);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * The rules of `kinds` that fire for this request, in the order they were added. Counting
   * and the PRNG advance only for rules that match the request.
   */
  take(req: FaultRequest, kinds: readonly FaultKind[]): FaultRule[] {
    const out: FaultRule[] = [];
    for (const rule of this.rules) {
      if (!kinds.includes(rule.kind) || !matches(rule, req)) continue;
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      rule.fired += 1;
      this.fired[rule.kind] += 1;
      out.push({ ...rule });
      if (rule.times !== undefined && rule.fired >= rule.times) this.remove(rule.id);
    }
    return out;
  }
}

function matches(rule: FaultRule, req: FaultRequest): boolean {
  if (rule.target !== 'any' && rule.target !== req.target) return false;
  if (rule.method && rule.method !== req.method.toUpperCase()) return false;
  if (rule.path) {
    const re = /^\/(.+)\/([a-z]*)$/.exec(rule.path);
    if (re?.[1]) {
      try {
        if (!new RegExp(re[1], re[2]).test(req.path)) return false;
      } catch {
        return false;
      }
    } else if (!req.path.includes(rule.path)) return false;
  }
  return true;
}

export const THROTTLE_ERRORS = {
  requests: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' },
  'execution-time': { code: '0x80072321', message: 'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.' },
  concurrency: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' },
} as const;
