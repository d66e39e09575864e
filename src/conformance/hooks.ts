// Hook commands: what the implementation under test must be made to do from
// outside (ring a line, dial a number). A hook is a shell command (from the
// CLI) or a function (from tests); it gets what to do in environment
// variables, must finish within its deadline and is killed (its whole process
// group) when it does not.
import { spawn } from 'node:child_process';
import { CaseFailure } from './case.ts';

/** A shell command, or (from tests) a function; what it prints (or returns) is its stdout. */
export type Hook = string | ((env: Record<string, string>) => Promise<void | string>);

export interface HookResult {
  stdout: string;
}

const KEEP = 4_096;

export async function runHook(name: string, hook: Hook, env: Record<string, string>, timeoutMs: number): Promise<HookResult> {
  if (typeof hook === 'function') {
    let timer: NodeJS.Timeout | undefined;
    try {
      const out = await Promise.race([hook(env), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new CaseFailure(`the ${name} hook did not finish within ${timeoutMs} ms`)), timeoutMs)))]);
      return { stdout: typeof out === 'string' ? out.slice(-KEEP) : '' };
    } catch (err) {
      if (err instanceof CaseFailure) throw err;
      throw new CaseFailure(`the ${name} hook failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(hook, { shell: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-KEEP)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-KEEP)));
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new CaseFailure(`the ${name} hook \`${hook.slice(0, 200)}\` did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new CaseFailure(`the ${name} hook could not start: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout });
      else reject(new CaseFailure(`the ${name} hook \`${hook.slice(0, 200)}\` exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400) || 'no output'}`));
    });
  });
}
