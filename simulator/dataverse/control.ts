// The control API of the simulator under `/_sim/` — a path no real Dataverse has — so a demo
// or a test in another process can inject faults, move the clock, expire tokens and read the
// request log. The same operations are methods on the handle startSimulatedDataverse returns.
import { z } from 'zod';
import { ControllableClock } from './clock.ts';
import { SimulatorError } from './errors.ts';
import type { SimState } from './state.ts';

const clockSchema = z.union([z.strictObject({ set: z.union([z.iso.datetime(), z.number()]) }), z.strictObject({ advanceMs: z.number() }), z.strictObject({ resume: z.literal(true) })]);

function problem(status: number, message: string): Response {
  return Response.json({ error: { code: 'sim-control', message } }, { status });
}

async function json(request: Request): Promise<unknown> {
  try {
    return JSON.parse((await request.text()) || '{}') as unknown;
  } catch {
    throw new SimulatorError('sim-options-invalid', 'the request body is not valid JSON');
  }
}

export async function handleControl(state: SimState, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname.replace(/^.*?\/_sim\//, '');
  const method = request.method.toUpperCase();
  try {
    if (path === 'faults' && method === 'GET') return Response.json(state.faults.list());
    if (path === 'faults' && method === 'POST') return Response.json({ id: state.faults.add(await json(request)) }, { status: 201 });
    if (path === 'faults' && method === 'DELETE') { state.faults.clear(); return new Response(null, { status: 204 }); }
    const one = /^faults\/(\d+)$/.exec(path);
    if (one?.[1] && method === 'DELETE') return state.faults.remove(Number(one[1])) ? new Response(null, { status: 204 }) : problem(404, `no fault rule ${one[1]}`);
    if (path === 'tokens/expire' && method === 'POST') return Response.json({ expired: state.faults.expireTokensNow() });
    if (path === 'clock' && method === 'GET') return Response.json({ now: new Date(state.clock.now()).toISOString() });
    if (path === 'clock' && method === 'POST') {
      if (!(state.clock instanceof ControllableClock)) return problem(409, 'the clock of this simulator is not controllable');
      const parsed = clockSchema.safeParse(await json(request));
      if (!parsed.success) return problem(400, 'expected {"set": ISO date-time or epoch ms} or {"advanceMs": n} or {"resume": true}');
      const body = parsed.data;
      if ('set' in body) state.clock.set(typeof body.set === 'number' ? body.set : Date.parse(body.set));
      else if ('advanceMs' in body) state.clock.advance(body.advanceMs);
      else state.clock.resume();
      return Response.json({ now: new Date(state.clock.now()).toISOString() });
    }
    if (path === 'requests' && method === 'GET') return Response.json(state.requestLog);
    if (path === 'requests' && method === 'DELETE') { state.requestLog.length = 0; return new Response(null, { status: 204 }); }
    if (path === 'settings' && method === 'GET') return Response.json(state.settings);
    return problem(404, `unknown control endpoint ${method} /_sim/${path}`);
  } catch (err) {
    if (err instanceof SimulatorError) return problem(400, err.message);
    throw err;
  }
}
