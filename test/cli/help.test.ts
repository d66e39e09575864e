import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));

describe('crm-tapi --help', () => {
  it('lists every sub-command and exits 0', () => {
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    for (const name of ['protocol', 'simulate', 'dialing', 'check', 'connector', 'manager', 'diagnose', 'replay', 'demo', 'solution']) {
      expect(out).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    }
  });

  it('rejects an unknown sub-command with a non-zero status', () => {
    expect(() => execFileSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8', stdio: 'pipe' })).toThrow();
  });
});
