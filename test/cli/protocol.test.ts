import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { encodeFrame, encodeMessageFrame } from '../../src/protocol/index.ts';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'crm-tapi-protocol-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The real command in a child process: exit status, stdin and binary stdout as a user sees them. */
function spawnRun(args: string[], input?: Uint8Array | string) {
  const r = spawnSync(process.execPath, [bin, 'protocol', ...args], { input, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

let inputCount = 0;
/** The same command in-process (much faster than a child); input goes through a file. */
async function run(args: string[], input?: Uint8Array | string) {
  const argv = [...args];
  if (input !== undefined) {
    const file = join(work, `input-${(inputCount += 1)}`);
    writeFileSync(file, input);
    argv.push(file);
  }
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const status = await main(['node', 'crm-tapi', 'protocol', ...argv]);
    const stdout = Buffer.concat(out);
    return { status, stdout, out: stdout.toString('utf8'), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const V5 =
  '<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>connect</command><registration>auto</registration><incallVersion>5.1.23.0</incallVersion></tapiaction>';
const V5_JSON = { channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0' };
const ACK = { channel: 'connector', command: 'ack', seq: 7 } as const;

function join2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('crm-tapi protocol decode', () => {
  it('prints one JSON object per frame of a file', () => {
    const file = join(work, 'two.bin');
    writeFileSync(file, join2(encodeFrame(V5), encodeMessageFrame(ACK)));
    const r = spawnRun(['decode', file]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([V5_JSON, ACK]);
  });

  it('decodes a bare XML document from standard input with --xml', async () => {
    const r = await run(['decode', '--xml'], V5);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out)).toEqual(V5_JSON);
  });

  it('reports a stream ending inside a frame as truncated-frame after the complete messages', () => {
    const stream = join2(encodeMessageFrame(ACK), encodeFrame(V5).subarray(0, 40));
    const r = spawnRun(['decode'], stream);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.out)).toEqual(ACK);
    expect(r.err).toMatch(/^error: truncated-frame: stream ended inside a frame: expected 178 payload bytes, got 38\n$/);
  });

  it('prints only the error line for a bad message and goes on with the next frame', async () => {
    const bad = encodeFrame('<tapiaction name="connector"><command>ack</command><seq>x</seq></tapiaction>');
    const r = await run(['decode'], join2(bad, encodeMessageFrame(ACK)));
    expect(r.status).toBe(1);
    expect(r.err).toBe('error: invalid-field: connector/ack: <seq> "x" is not a decimal integer\n');
    expect(r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([ACK]);
  });

  it('honours --max-frame-length and refuses a bad value', async () => {
    const r = await run(['decode', '--max-frame-length', '100'], encodeFrame(V5));
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('error: frame-too-large: frame declares 178 bytes, more than the limit of 100\n');
    const usage = await run(['decode', '--max-frame-length', '70000'], '');
    expect(usage.err).toMatch(/^error: invalid-option: /);
    expect(usage.status).toBe(2);
  });

  it('reports a missing file and malformed XML', async () => {
    expect((await run(['decode', join(work, 'nope.bin')])).err).toBe(`error: file-not-found: ${join(work, 'nope.bin')}: no such file\n`);
    const r = await run(['decode', '--xml'], '<tapiaction name="connector"><command>ack</tapiaction>');
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: malformed-xml: /);
  });
});

describe('crm-tapi protocol encode', () => {
  it('turns JSON lines into frames that decode back', () => {
    const r = spawnRun(['encode'], `${JSON.stringify(V5_JSON)}\n\n${JSON.stringify(ACK)}\n`);
    expect(r.status).toBe(0);
    expect(new Uint8Array(r.stdout)).toEqual(join2(encodeFrame(V5), encodeMessageFrame(ACK)));
  });

  it('writes XML documents with --xml, the manual trace byte for byte', async () => {
    const r = await run(['encode', '--xml'], JSON.stringify(V5_JSON));
    expect(r.status).toBe(0);
    expect(r.out).toBe(`${V5}\n`);
  });

  it('reports invalid JSON and invalid messages with their line', async () => {
    const r = await run(['encode', '--xml'], `not json\n${JSON.stringify({ channel: 'connector', command: 'ack' })}\n${JSON.stringify(ACK)}\n`);
    expect(r.status).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: invalid-json: \S+input-\d+:1: /);
    expect(lines[1]).toMatch(/^error: missing-field: \S+input-\d+:2: connector\/ack: <seq> is required$/);
    expect(lines).toHaveLength(2);
    expect(r.out).toBe('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>ack</command><seq>7</seq></tapiaction>\n');
  });
});
