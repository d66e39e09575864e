// `crm-tapi demo` as a newcomer runs it (child process): prints the panel URL
// and the ready-to-paste call, serves the panel, rings from the printed
// command, and stops cleanly on SIGINT.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('crm-tapi demo', () => {
  it('starts the stack, prints what to open and paste, and stops on Ctrl+C', async () => {
    const child = spawn(process.execPath, ['bin/crm-tapi.js', 'demo', '--control-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const end = Date.now() + 90_000;
      while (!out.includes('Ctrl+C stops everything')) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`demo did not come up:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const panel = /(http:\/\/127\.0\.0\.1:\d+\/panel\/\?\S+login_hint=emily\S+)/.exec(out)?.[1];
      expect(panel).toBeDefined();
      const page = await fetch(panel as string);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/client/crm-tapi-panel.js');
      const command = /(\.\/bin\/crm-tapi\.js simulate call .*)/.exec(out)?.[1] ?? '';
      // The printed command uses the option name the demo itself takes: --control-port.
      expect(command).toMatch(/--from "\+44 20 7946 0321" --to 21 --control-port \d+$/);
      const pbx = `http://127.0.0.1:${/--control-port (\d+)/.exec(command)?.[1] as string}`;
      const rang = (await (await fetch(`${pbx}/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: '+44 20 7946 0321', to: '21' }) })).json()) as { outcome: string };
      expect(rang.outcome).toBe('ringing');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('crm-tapi demo: stopped');
  }, 120_000);
});
