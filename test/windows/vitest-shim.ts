// Under wine, Windows Node.js runs the tapi provider's test files bundled by
// esbuild (native/scripts/test-windows.mjs); vitest itself needs native
// binaries of its own there. This stands in for the few vitest functions those
// files use — vitest's own `expect` (@vitest/expect on chai) and a sequential
// describe / it / beforeAll / afterEach — and reports like a runner.
import { Any, Anything, ArrayContaining, chai, JestAsymmetricMatchers, JestChaiExpect, JestExtend, ObjectContaining, StringContaining, StringMatching } from '@vitest/expect';
import type { expect as VitestExpect } from 'vitest';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

const expectFn = (value: unknown, message?: string) => chai.expect(value, message);
// The asymmetric matchers the test files use (expect.arrayContaining, …).
Object.assign(expectFn, {
  anything: () => new Anything(),
  any: (type: unknown) => new Any(type),
  arrayContaining: (sample: unknown[]) => new ArrayContaining(sample),
  objectContaining: (sample: Record<string, unknown>) => new ObjectContaining(sample),
  stringContaining: (sample: string) => new StringContaining(sample),
  stringMatching: (sample: string | RegExp) => new StringMatching(sample),
});
export const expect = expectFn as unknown as typeof VitestExpect;

type Fn = () => unknown;
interface Test {
  readonly name: string;
  readonly fn: Fn;
}

const tests: Test[] = [];
const befores: Fn[] = [];
const afters: Fn[] = [];
const prefix: string[] = [];
let skipping = 0;

export function describe(name: string, body: () => void): void {
  prefix.push(name);
  body();
  prefix.pop();
}
describe.skipIf = (condition: boolean) => (name: string, body: () => void) => {
  if (condition) skipping++;
  describe(name, body);
  if (condition) skipping--;
};

export function it(name: string, fn: Fn): void {
  if (skipping === 0) tests.push({ name: [...prefix, name].join(' > '), fn });
}

it.skipIf = (condition: boolean) => (name: string, fn: Fn) => {
  if (!condition) it(name, fn);
};

export function beforeAll(fn: Fn): void {
  befores.push(fn);
}

export function afterEach(fn: Fn): void {
  afters.push(fn);
}

/** Runs every registered test in order; resolves with the number of failures. */
export async function runAll(write: (line: string) => void): Promise<number> {
  for (const fn of befores) await fn();
  let failed = 0;
  for (const test of tests) {
    const started = Date.now();
    try {
      await test.fn();
      write(`ok   ${test.name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      write(`FAIL ${test.name}\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      for (const fn of afters) await fn();
    }
  }
  write(`tests: ${tests.length - failed} passed, ${failed} failed`);
  return failed;
}
