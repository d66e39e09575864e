// Runs the `crm-tapi` CLI in this process (main(), the function the bin
// calls) with stdout and stderr captured and extra environment variables set
// for the run; returns the exit status and what was printed.
import { vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

export interface CliRun {
  status: number;
  out: string;
  err: string;
}

export async function runCli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const exitCode = process.exitCode;
  try {
    const status = await main(['node', 'crm-tapi', ...args]);
    return { status, out: out.join(''), err: err.join('') };
  } finally {
    process.exitCode = exitCode;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    o.mockRestore();
    e.mockRestore();
  }
}
