import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/crm-tapi.js', import.meta.url));
const seed = fileURLToPath(new URL('../../fixtures/crm/', import.meta.url));

function startCli(args: string[]): { output: Promise<string>; child: ReturnType<typeof spawn>; exited: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, 'simulate', 'dataverse', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const output = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('users (TEST-ONLY passwords):') && /svc-crmtapi/.test(stdout)) resolve(stdout);
    });
    child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
  });
  // Tests that expect an early exit never await `output`: mark its rejection handled.
  output.catch(() => undefined);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { output, child, exited };
}

describe('crm-tapi simulate dataverse', () => {
  it('prints the URLs and seeded users, serves the Web API, and stops cleanly on SIGTERM', async () => {
    const { output, child, exited } = startCli(['--port', '0', '--seed', seed, '--org', 'Tapi']);
    const text = await output;
    const webApi = /Web API \(OnPremise URL\): (\S+)/.exec(text)?.[1] ?? '';
    expect(webApi).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/Tapi\/api\/data\/v9\.2\/$/);
    expect(text).toMatch(/token endpoint: +http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/oauth2\/v2\.0\/token/);
    expect(text).toContain('sign-in page:');
    expect(text).toContain('Anna Schmidt: anna.schmidt@');
    const res = await fetch(`${webApi}WhoAmI`);
    expect(res.status).toBe(401);
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain('simulated Dataverse stopped');
  });

  it('reports a bad seed directory and a bad port with their own error codes', async () => {
    const bad = startCli(['--seed', '/nonexistent/dir']);
    const r1 = await bad.exited;
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^error: sim-seed-unreadable: /m);
    const port = startCli(['--port', '70000']);
    const r2 = await port.exited;
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^error: invalid-port: /m);
  });
});
