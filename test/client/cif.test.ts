// Channel Integration Framework 2.0 with a fake Microsoft.CIFramework: the
// panel registers click-to-act, docks itself, and dials what a click sends.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CIF_MODE_DOCKED, CIF_PANEL_WIDTH, findCif, parseClickToAct, registerCif, type CifLike } from '../../src/client/cif.ts';
import type { RegardingRef } from '../../src/protocol/index.ts';

const CONTACT = '0f8fad5b-d9cb-469f-a165-70867728950e';

function fakeCif(fail: readonly string[] = []) {
  const calls: string[] = [];
  const handlers = new Map<string, (payload: string) => PromiseLike<unknown>>();
  const act = (name: string, value: unknown) => {
    calls.push(`${name}(${String(value)})`);
    return fail.includes(name) ? Promise.reject(new Error(`${name} refused`)) : Promise.resolve(value);
  };
  const cif: CifLike = {
    setClickToAct: (v) => act('setClickToAct', v),
    addHandler: (name, handler) => {
      handlers.set(name, handler);
      return act('addHandler', name);
    },
    setMode: (m) => act('setMode', m),
    setWidth: (w) => act('setWidth', w),
  };
  return { cif, calls, handlers };
}

function hooks() {
  const dialled: { number: string; regarding?: RegardingRef }[] = [];
  const log: string[] = [];
  return {
    dialled, log,
    hooks: {
      dial: async (number: string, regarding?: RegardingRef) => void dialled.push({ number, ...(regarding ? { regarding } : {}) }),
      log: { info: (t: string) => void log.push(`info ${t}`), error: (t: string) => void log.push(`error ${t}`) },
    },
  };
}

describe('CIF 2.0 panel', () => {
  it('finds the host API only where it is provided', () => {
    const { cif } = fakeCif();
    expect(findCif({ Microsoft: { CIFramework: cif } } as unknown as Window)).toBe(cif);
    expect(findCif({} as Window)).toBeUndefined();
    expect(findCif({ Microsoft: { CIFramework: {} } } as unknown as Window)).toBeUndefined();
  });

  it('registers onclicktoact, enables click-to-act, docks at a softphone width, and dials what a click sends', async () => {
    const { cif, calls, handlers } = fakeCif();
    const h = hooks();
    await registerCif(cif, h.hooks);
    expect(calls).toEqual(['addHandler(onclicktoact)', 'setClickToAct(true)', `setMode(${CIF_MODE_DOCKED})`, `setWidth(${CIF_PANEL_WIDTH})`]);
    const handler = handlers.get('onclicktoact')!;
    expect(await handler(JSON.stringify({ value: '+49 30 1234567', name: 'telephone1', format: 'phone', entityLogicalName: 'contact', entityId: `{${CONTACT.toUpperCase()}}` }))).toBe(true);
    expect(await handler(JSON.stringify({ value: 4930123, name: 'mobilephone', format: 'phone', entityLogicalName: 'lead' }))).toBe(true);
    expect(await handler('not json')).toBe(false);
    expect(await handler(JSON.stringify({ value: '   ', entityLogicalName: 'contact' }))).toBe(false);
    expect(h.dialled).toEqual([{ number: '+49 30 1234567', regarding: { entity: 'contact', id: CONTACT } }, { number: '4930123' }]);
    expect(h.log.filter((l) => l.startsWith('error'))).toHaveLength(2);
  });

  it('logs a host call that fails and still registers the rest', async () => {
    const { cif, calls } = fakeCif(['setClickToAct', 'setWidth']);
    const h = hooks();
    await registerCif(cif, h.hooks);
    expect(calls).toHaveLength(4);
    expect(h.log.filter((l) => l.startsWith('error'))).toEqual(['error CIF setClickToAct(true) failed: setClickToAct refused', 'error CIF setWidth failed: setWidth refused']);
  });

  test.prop([fc.anything()])('never throws on any payload, and a result always has a non-empty number of at most 64 characters', (payload) => {
    for (const p of [payload, JSON.stringify(payload) ?? '']) {
      const r = parseClickToAct(p);
      if (r !== undefined) {
        expect(r.number.length).toBeGreaterThan(0);
        expect(r.number.length).toBeLessThanOrEqual(64);
      }
    }
  });
});
