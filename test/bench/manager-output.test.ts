// What the README says bench/manager.ts prints besides its figures: each run's GC pauses (the relay's
// too) and, with --profile RUN, a CPU profile of that run's calls. Small sizes: this checks the output, not the speed.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROFILE = join(ROOT, 'manager-flat-out.cpuprofile');

describe('bench/manager.ts output', () => {
  afterAll(() => rmSync(PROFILE, { force: true }));

  it('prints the GC pauses of every run and writes the CPU profile that --profile names', async () => {
    rmSync(PROFILE, { force: true });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager.ts', '--clients', '40', '--rate', '20', '--seconds', '1', '--backlog', '10', '--profile', 'flat-out'], { cwd: ROOT, timeout: 120_000 });
    for (const run of ['manager, records queued', 'manager + outbox flat out', '+ backlog of 10', 'bare relay']) {
      expect(stdout).toMatch(new RegExp(`^${run.replace(/[+]/g, '\\+')}:.*GC \\d+ pauses, \\d+ ms in all, longest \\d+\\.\\d ms$`, 'm'));
    }
    expect(stdout).toMatch(/^requirement not checked/m);
    expect(existsSync(PROFILE)).toBe(true);
    const profile = JSON.parse(readFileSync(PROFILE, 'utf8')) as { nodes: { callFrame: { url: string } }[] };
    // The profile covers the calls: the manager's gateway decoded call events while it ran.
    expect(profile.nodes.some((n) => n.callFrame.url.endsWith('src/manager/gateway/connection.ts'))).toBe(true);
  }, 150_000);
});
