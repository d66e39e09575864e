// The key worker against the main thread: pages of typed numbers normalised
// in the worker thread (worker-keys.ts running key-worker.ts, NumberKeys
// rebuilt from their recipe) give exactly the codes the main thread computes
// with the same settings, and every code decodes to the key crmKey gives.
// Also: a worker that cannot start fails its pages instead of hanging.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { decodeKey, encodeKey, NO_KEY } from '../../../src/dataverse/directory/key-codes.ts';
import { encodePhones, packPhones, unpackPhones } from '../../../src/dataverse/directory/page-keys.ts';
import { KeyWorker } from '../../../src/dataverse/directory/worker-keys.ts';
import { AUSTRIA, BRITAIN, GERMANY, SWITZERLAND, USA } from '../../dialing/helpers.ts';
import { phoneField as phone } from './typed-numbers.ts';

const workers: KeyWorker[] = [];
afterAll(async () => {
  for (const w of workers) await w.close();
});

describe('key worker', () => {
  for (const [label, settings] of Object.entries({ GERMANY, AUSTRIA, SWITZERLAND, BRITAIN, USA })) {
    it(`gives the main thread's codes for random pages (${label} default settings)`, async () => {
      const keys = dialingKeys(settings);
      const failures: string[] = [];
      const worker = new KeyWorker(keys.recipe!, (reason) => failures.push(reason));
      workers.push(worker);
      await fc.assert(
        fc.asyncProperty(fc.array(phone, { maxLength: 400 }), async (phones) => {
          const packed = packPhones(phones.map((p) => ({ phones: [p] })), 1);
          expect(unpackPhones(packed)).toEqual(phones);
          const inWorker = await worker.encode(packed);
          const inThread = encodePhones(phones, keys.crmKey);
          expect([...inWorker.codes]).toEqual([...inThread.codes]);
          expect(inWorker.texts).toEqual(inThread.texts);
          phones.forEach((typed, i) => {
            const key = typed === null || typed.trim() === '' ? undefined : keys.crmKey(typed);
            const code = inThread.codes[i] as number;
            expect(code === NO_KEY ? undefined : code === code ? decodeKey(code) : inThread.texts?.get(i)).toBe(key);
          });
        }),
        { numRuns: 60 },
      );
      expect(worker.ready).toBe(true);
      expect(failures).toEqual([]);
    }, 120_000);
  }

  it('a worker that cannot build its keys fails its pages and reports why, once', async () => {
    const failures: string[] = [];
    const worker = new KeyWorker({ module: new URL('./no-such-module.ts', import.meta.url).href, exportName: 'dialingKeys', argument: {} }, (reason) => failures.push(reason));
    workers.push(worker);
    await expect(worker.encode(packPhones([{ phones: ['+49 30 1234567'] }], 1))).rejects.toThrow(/key worker/);
    await expect(worker.encode(packPhones([{ phones: ['+49 30 1234567'] }], 1))).rejects.toThrow(/key worker/);
    expect(worker.ready).toBe(false);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/no-such-module/);
  }, 60_000);
});

describe('key codes', () => {
  it('encode E.164 and extension keys one-to-one, and decode back', () => {
    const key = fc.oneof(
      fc.stringMatching(/^[1-9][0-9]{0,14}$/).map((d) => `+${d}`),
      fc.stringMatching(/^[0-9]{1,15}$/).map((d) => `ext:${d}`),
    );
    fc.assert(
      fc.property(key, key, (a, b) => {
        const ca = encodeKey(a) as number;
        expect(ca).not.toBe(NO_KEY);
        expect(decodeKey(ca)).toBe(a);
        expect(ca === encodeKey(b)).toBe(a === b);
      }),
      { numRuns: 20_000 },
    );
  });

  it('leave every other form to the string side', () => {
    for (const key of ['', '+', '+0123', '+1234567890123456', 'ext:', 'ext:1234567890123456', 'ext:12a', '+12 3', 'x:1', '4930']) expect(encodeKey(key), key).toBeUndefined();
  });
});
