// The diagnose report's own shaping: lines in a stable order with the users'
// names, the catalogue's list limits, and a refresh result that always encodes.
import { describe, expect, it } from 'vitest';
import { diagnoseReport, refreshResult } from '../../../src/manager/diagnose-ws/report.ts';
import type { ConnectorSide } from '../../../src/manager/contracts.ts';
import type { EntitlementTable } from '../../../src/manager/entitlements/table.ts';
import { encodeMessage } from '../../../src/protocol/index.ts';

const side = { diagnose: () => ({ connectors: [], sockets: [] }) } as unknown as ConnectorSide;
const table = (lines: [string, string[]][]): EntitlementTable => ({ entityLines: new Map(lines) }) as unknown as EntitlementTable;

describe('the diagnose report', () => {
  it('lists the entity lines sorted by name, each user by name (the id when the name is unknown), within the catalogue limits', () => {
    const many = Array.from({ length: 1_100 }, (_, i) => `u${i}`);
    const report = diagnoseReport({
      version: '1.2.3', connectorSide: side, clientSockets: [],
      table: table([['pbx:30', ['u1']], ['pbx:10', many], ['pbx:20', ['u2', 'u3']]]),
      nameOf: (id) => (id === 'u1' ? 'Anna' : id === 'u2' ? 'Ben' : undefined),
    });
    expect(report.entityLines.map((l) => l.line)).toEqual(['pbx:10', 'pbx:20', 'pbx:30']);
    expect(report.entityLines[1]?.users).toEqual(['Ben', 'u3']);
    expect(report.entityLines[0]?.users).toHaveLength(1_024);
    expect(() => encodeMessage(report)).not.toThrow();
  });
});

describe('the refresh result', () => {
  it('reports a whole, non-negative count', async () => {
    expect(await refreshResult('r1', async () => ({ numbers: 41.7 }))).toEqual({ channel: 'diagnose', command: 'refreshResult', requestId: 'r1', ok: true, numbers: 41 });
    expect((await refreshResult(undefined, async () => ({ numbers: -3 }))).numbers).toBe(0);
  });

  it("passes a failure's code on (cut to 64 characters), and says refresh-failed for one without a code", async () => {
    const coded = await refreshResult('r2', () => Promise.reject(Object.assign(new Error('the CRM refused'), { code: 'crm-forbidden' })));
    expect(coded).toEqual({ channel: 'diagnose', command: 'refreshResult', requestId: 'r2', ok: false, error: { code: 'crm-forbidden', message: 'the phone numbers could not be refreshed: the CRM refused' } });
    const long = await refreshResult('r3', () => Promise.reject(Object.assign(new Error('x'), { code: 'c'.repeat(100) })));
    expect(long.error?.code).toBe('c'.repeat(64));
    const plain = await refreshResult('r4', () => Promise.reject(new Error('network down')));
    expect(plain.error?.code).toBe('refresh-failed');
    for (const r of [coded, long, plain]) expect(() => encodeMessage(r)).not.toThrow();
  });
});
