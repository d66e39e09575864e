import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));

describe('crm-tapi --help', () => {
  it('lists every sub-command and exits 0', () => {
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    for (const name of ['protocol', 'simulate', 'dialing', 'check', 'connector', 'manager', 'diagnose', 'outbox', 'replay', 'demo', 'solution', 'lab', 'service', 'config', 'conformance']) {
      expect(out).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    }
  });

  it('rejects an unknown sub-command with a non-zero status', () => {
    expect(() => execFileSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8', stdio: 'pipe' })).toThrow();
  });

  it('ends every usage error with status 2 (README "Operations", docs/operations.md)', async () => {
    const { main } = await import('../../src/cli/main.ts');
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'crm-tapi', 'no-such-command'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'manager'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'diagnose', '--no-such-option'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'outbox', 'drop', '--manager', 'ws://127.0.0.1:1'])).toBe(2);
      // An option value the command checks itself is a usage error too, in every sub-command.
      expect(await main(['node', 'crm-tapi', 'simulate', 'pbx', '--control-port', '70000'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'simulate', 'pbx', '--hunt-group', 'nonsense'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'protocol', 'decode', '--max-frame-length', '0'])).toBe(2);
      expect(await main(['node', 'crm-tapi', 'dialing', 'dial', '--settings', '/no/such/settings.json', '25'])).toBe(2);
    } finally {
      quiet.mockRestore();
    }
  });
});
