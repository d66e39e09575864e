// The control endpoint over real HTTP on 127.0.0.1, port 0; the CLI's
// `simulate call` against it in a child process.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { VirtualClock } from '../../simulator/pbx/clock.ts';
import { controlRequest } from '../../simulator/pbx/control-client.ts';
import { startControlServer } from '../../simulator/pbx/control-server.ts';
import type { ControlServer } from '../../simulator/pbx/control-server.ts';
import { SimulatedPbx } from '../../simulator/pbx/pbx.ts';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));
const run = promisify(execFile);

let clock: VirtualClock;
let pbx: SimulatedPbx;
let server: ControlServer;
const problems: string[] = [];

beforeAll(async () => {
  clock = new VirtualClock();
  pbx = new SimulatedPbx({ clock, lines: ['20', '21', '22', '25'], huntGroups: { '600': ['21', '22'] } });
  server = await startControlServer(pbx, { port: 0, onProblem: (m) => problems.push(m) });
});
afterAll(async () => {
  await server.close();
  pbx.close();
});

async function http(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(server.url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

/** Reads the event stream until `count` lines arrived. */
function readEvents(count: number, accept = 'application/x-ndjson'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/events`, { headers: { accept } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const n = accept.includes('event-stream') ? text.split('\n\n').length - 1 : text.split('\n').length - 1;
        if (n >= count) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    req.setTimeout(5000, () => reject(new Error('no events in time')));
    req.end();
  });
}

describe('PBX control endpoint', () => {
  it('reports health and lines', async () => {
    expect((await http('GET', '/health')).json).toMatchObject({ service: 'crm-tapi-simulated-pbx', up: true, lines: 4 });
    expect(((await http('GET', '/lines')).json as { name: string }[]).map((l) => l.name)).toEqual(['20', '21', '22', '25']);
  });

  it('rings a line, answers and hangs up on schedule, and streams the events as NDJSON', async () => {
    const stream = readEvents(4);
    await new Promise((r) => setTimeout(r, 50));
    const { status, json } = await http('POST', '/calls', JSON.stringify({ from: '+49 30 1234567', to: '25', answerAfter: '3s', hangupAfter: '20s' }));
    expect(status).toBe(201);
    expect(json).toMatchObject({ outcome: 'ringing', callIds: ['c1'] });
    clock.advance(3000);
    expect(((await http('GET', '/calls')).json as { state: string }[])[0]?.state).toBe('connected');
    clock.advance(20_000);
    const events = (await stream).trim().split('\n').map((l) => JSON.parse(l) as ProviderEvent);
    expect(events.map((e) => (e.type === 'call' ? [e.state, e.at] : []))).toEqual([
      ['offering', 0],
      ['connected', 3000],
      ['disconnected', 23_000],
      ['idle', 23_000],
    ]);
  });

  it('streams server-sent events when asked for text/event-stream', async () => {
    const stream = readEvents(1, 'text/event-stream');
    await new Promise((r) => setTimeout(r, 50));
    await http('POST', '/lines/22/out-of-service');
    expect(await stream).toMatch(/^event: lineOutOfService\ndata: \{"type":"lineOutOfService","at":\d+,"line":"22"\}\n\n/);
    await http('POST', '/lines/22/in-service');
  });

  it('answers bad requests with typed errors and fitting status codes', async () => {
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', '/calls', JSON.stringify({ from: '1', to: '99' }), 404, 'unknown-line'],
      ['POST', '/calls/c999/answer', undefined, 404, 'no-such-call'],
      ['POST', '/calls', '{nope', 400, 'bad-request'],
      ['POST', '/calls', JSON.stringify({ from: '1', to: '25', answerAfter: 'soon' }), 400, 'bad-request'],
      ['POST', '/calls', JSON.stringify({ from: '1', to: '25', extra: true }), 400, 'bad-request'],
      ['POST', '/dial', JSON.stringify({ line: '20', to: 'abc' }), 409, 'invalid-state'],
      ['GET', '/nowhere', undefined, 404, 'not-found'],
      ['DELETE', '/calls', undefined, 400, 'bad-request'],
      ['POST', '/scenario', 'name: x\nlines: 20\nsteps:\n  - bogus: 1', 400, 'scenario-invalid'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await http(method, path, body);
      expect([path, res.status]).toEqual([path, status]);
      expect((res.json as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('refuses bodies over 1 MB with 413', async () => {
    const res = await http('POST', '/calls', 'x'.repeat(1024 * 1024 + 10));
    expect(res.status).toBe(413);
  });

  it('runs a scenario on the PBX clock, reporting failed steps', async () => {
    const before = pbx.activeCalls().length;
    const res = await http('POST', '/scenario', 'name: s\nlines: 20\nsteps:\n  - call: { id: a, from: "1", to: "600" }\n  - after: 1s\n    answer: { call: a }', { 'content-type': 'text/yaml' });
    expect(res).toEqual({ status: 202, json: { name: 's', steps: 2 } });
    clock.advance(0);
    expect(pbx.activeCalls().length).toBe(before + 2);
    clock.advance(1000);
    expect(problems.at(-1)).toMatch(/step 2 \(answer\): call "a" is on 2 lines; say which with line:/);
    for (const call of pbx.activeCalls()) pbx.drop(call.callId);
  });

  it('restarts: 503 provider-down while it is away', async () => {
    expect((await http('POST', '/restart', JSON.stringify({ downFor: '2s' }))).status).toBe(202);
    const res = await http('POST', '/calls', JSON.stringify({ from: '1', to: '25' }));
    expect(res.status).toBe(503);
    clock.advance(2000);
    expect((await http('GET', '/health')).json).toMatchObject({ up: true });
  });

  it('the control client turns failures into typed errors, and a dead port into pbx-unreachable', async () => {
    await expect(controlRequest(server.url, 'POST', '/calls', { from: '1', to: '77' })).rejects.toMatchObject({ code: 'unknown-line' });
    await expect(controlRequest('http://127.0.0.1:9', 'GET', '/health')).rejects.toMatchObject({ code: 'pbx-unreachable' });
  });
});

describe('crm-tapi simulate call', () => {
  it('rings a line of the running PBX; an unknown line and a missing PBX are clear errors', async () => {
    // Three independent runs in parallel: each pays the CLI's start-up once.
    const [ok, unknown, away] = await Promise.all([
      run(process.execPath, [bin, 'simulate', 'call', '--from', '+49 30 1234567', '--to', '21', '--pbx', server.url]),
      run(process.execPath, [bin, 'simulate', 'call', '--from', '1', '--to', '29', '--pbx', server.url]).catch((e: unknown) => e),
      run(process.execPath, [bin, 'simulate', 'call', '--from', '1', '--to', '25', '--pbx', 'http://127.0.0.1:9']).catch((e: unknown) => e),
    ]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ outcome: 'ringing' });
    expect(pbx.activeCalls().some((c) => c.line === '21' && c.state === 'offering')).toBe(true);
    expect(unknown).toMatchObject({ code: 1 });
    expect((unknown as { stderr: string }).stderr).toMatch(/^error: unknown-line: no line 29 on this PBX/m);
    expect(away).toMatchObject({ code: 1 });
    expect((away as { stderr: string }).stderr).toContain(
      'error: pbx-unreachable: no simulated PBX answers at http://127.0.0.1:9 — start it with crm-tapi simulate pbx',
    );
  }, 60_000);

  it('takes the PBX on this host by --control-port, the option name of simulate pbx and demo', async () => {
    const { stdout } = await run(process.execPath, [bin, 'simulate', 'call', '--from', '+49 30 7654321', '--to', '22', '--control-port', new URL(server.url).port]);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'ringing' });
    expect(pbx.activeCalls().some((c) => c.line === '22' && c.state === 'offering')).toBe(true);
  }, 60_000);
});
