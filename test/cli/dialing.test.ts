// `crm-tapi dialing dial|normalize`: settings files in both shapes, output,
// and the one-line `error: <code>: …` for bad input.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { registerDialing } from '../../src/cli/commands/dialing.ts';
import { CliExit } from '../../src/cli/output.ts';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));
let dir = '';
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crm-tapi-dialing-'));
  const de = { countryCode: '49', areaCode: '34361', baseNumber: '826', outsideLinePrefix: '0', maxInternalLength: 3 };
  await writeFile(file('de.json'), JSON.stringify(de));
  await writeFile(
    file('layers.json'),
    JSON.stringify({ default: { countryCode: 49, outsideLinePrefix: '0', areaCode: '30' }, site: { areaCode: '34.361', baseNumber: '826', maxInternalLength: 3 }, userLine: { incomingDirectionCode: '0' } }),
  );
  await writeFile(file('de.toml'), 'countryCode = "49"\nareaCode = "34361"\nbaseNumber = "826"\noutsideLinePrefix = "0"\nmaxInternalLength = 3\n');
  await writeFile(file('typo.json'), JSON.stringify({ countryCode: '49', areacode: '34361', outsideLinePrefix: 0 }));
  await writeFile(file('digits.json'), JSON.stringify({ countryCode: '49', areaCode: '034361' }));
  await writeFile(file('broken.json'), '{"countryCode": ');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the dialing command in-process; returns status, stdout and stderr. */
async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const program = new Command('crm-tapi').exitOverride();
  registerDialing(program);
  let status = 0;
  try {
    await program.parseAsync(['dialing', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CliExit)) throw e;
    status = e.status;
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { status, out, err };
}

describe('crm-tapi dialing dial', () => {
  it('prints the extension for a company number', async () => {
    expect(await run('dial', '--settings', file('de.json'), '+49 (34361) 826-25')).toEqual({ status: 0, out: '25\n', err: '' });
  });

  it('prints the outside dial string, and the trace on stderr when asked', async () => {
    const r = await run('dial', '--trace', '--settings', file('de.json'), '0341 1234567');
    expect(r.out).toBe('003411234567\n');
    expect(r.err).toContain('converted number: 003411234567 is dialled');
  });

  it('reads TOML settings files too', async () => {
    expect((await run('dial', '--settings', file('de.toml'), '826-0')).out).toBe('08260\n');
  });

  it('reports a bad number as error: <code>', async () => {
    const r = await run('dial', '--settings', file('de.json'), '1-800-FLOWERS');
    expect(r).toEqual({ status: 1, out: '', err: 'error: invalid-characters: number "1-800-FLOWERS": letter "F" (vanity numbers are not converted) at position 7\n' });
  });
});

describe('crm-tapi dialing normalize', () => {
  it('prints the E.164 number of a caller', async () => {
    expect((await run('normalize', '--settings', file('de.json'), '034361826025')).out).toBe('+4934361826025\n');
  });

  it('prints internal <ext> for an extension', async () => {
    expect((await run('normalize', '--settings', file('de.json'), '25')).out).toBe('internal 25\n');
  });

  it('applies inherited settings: the line strips its direction code, the site gives the area', async () => {
    expect((await run('normalize', '--settings', file('layers.json'), '0826025')).out).toBe('+4934361826025\n');
    // the same digits typed into a CRM record carry no direction code
    expect((await run('normalize', '--crm', '--settings', file('layers.json'), '0826025')).out).toBe('+49826025\n');
  });
});

describe('crm-tapi dialing: bad settings', () => {
  it('names every bad key of the file', async () => {
    const r = await run('normalize', '--settings', file('typo.json'), '25');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^error: config-invalid: .*typo\.json: 2 invalid setting\(s\):/);
    expect(r.err).toContain('unknown setting "areacode" (did you mean "areaCode"?)');
    expect(r.err).toContain('outsideLinePrefix: must be a string of digits');
  });

  it('reports wrong digits as invalid-settings', async () => {
    const r = await run('normalize', '--settings', file('digits.json'), '25');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^error: invalid-settings: .*digits\.json: invalid dialing settings: areaCode "034361" \(from default\) starts with the national prefix 0/);
  });

  it('reports a missing or broken file', async () => {
    expect((await run('dial', '--settings', file('none.json'), '25')).err).toMatch(/^error: config-not-found: /);
    expect((await run('dial', '--settings', file('broken.json'), '25')).err).toMatch(/^error: config-syntax: /);
  });
});

describe('crm-tapi dialing as a process', () => {
  const exec = promisify(execFile);
  it('exits 0 with the dial string, and 1 with one error line', async () => {
    const good = await exec(process.execPath, [bin, 'dialing', 'dial', '--settings', file('de.json'), '030 1234567']);
    expect(good.stdout).toBe('00301234567\n');
    const bad = await exec(process.execPath, [bin, 'dialing', 'normalize', '--settings', file('de.json'), '']).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: 'error: empty-number: number is empty\n' });
  }, 30_000);
});
