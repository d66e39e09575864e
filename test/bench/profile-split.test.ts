// bench/lib/profile-split.ts: each sample of a CPU profile goes to the part of the manager the event
// loop was called for (the outermost frame of ours or of ws), idle to none; the parts add up.
import { describe, expect, it } from 'vitest';
import { formatSplit, partOf, splitProfile, type CpuProfile } from '../../bench/lib/profile-split.ts';

const ROOT = 'file:///work/x';
const f = (functionName: string, url = '') => ({ functionName, url });

describe('partOf', () => {
  it('names the part by the outermost frame of ours, whatever ran under it', () => {
    const timers = f('processImmediate', 'node:internal/timers');
    expect(partOf([f('(root)'), f('onStreamRead', 'node:internal/stream_base_commons'), f('#onData', `${ROOT}/src/manager/gateway/connection.ts`), f('deliver', `${ROOT}/src/manager/routing/router.ts`), f('writev')])).toBe('connector frames in, popups out');
    expect(partOf([f('(root)'), timers, f('', `${ROOT}/src/manager/gateway/connection.ts`), f('send', `${ROOT}/src/manager/gateway/connection.ts`)])).toBe('acknowledgements and other connector-socket callbacks');
    expect(partOf([f('(root)'), f('listOnTimeout', 'node:internal/timers'), f('#pump', `${ROOT}/src/manager/gateway/sqlite-seq-store.ts`), f('postMessage')])).toBe('journal');
    expect(partOf([f('(root)'), f('prepare', `${ROOT}/src/manager/records/recorder.ts`), f('phoneCallWrite', `${ROOT}/src/dataverse/outbox/records.ts`)])).toBe('records and outbox');
    expect(partOf([f('(root)'), f('', `${ROOT}/src/dataverse/outbox/writer.ts`)])).toBe('records and outbox');
    expect(partOf([f('(root)'), f('socketOnData', `${ROOT}/node_modules/ws/lib/websocket.js`), f('decodeMessage', `${ROOT}/src/protocol/codec.ts`)])).toBe("WebSocket reads (the bench's clients)");
    expect(partOf([f('(root)'), timers, f('drive', `${ROOT}/bench/lib/popups.ts`)])).toBe("the bench's connectors and clients");
    expect(partOf([f('(root)'), f('', `${ROOT}/bench/lib/relay.ts`), f('send', `${ROOT}/node_modules/ws/lib/websocket.js`)])).toBe('the relay (frames in, messages out)');
    expect(partOf([f('(root)'), f('manager', `${ROOT}/bench/manager.ts`), f('post', 'node:inspector')])).toBe('the profiler itself');
  });

  it('keeps idle out, and GC, the runtime and what is not ours apart', () => {
    expect(partOf([f('(root)'), f('(idle)')])).toBeUndefined();
    expect(partOf([])).toBeUndefined();
    expect(partOf([f('(root)'), f('(garbage collector)')])).toBe('GC');
    expect(partOf([f('(root)'), f('(program)')])).toBe('runtime without a JavaScript frame');
    // A library's own src/ folder is not ours: what it called back of ours names the part.
    expect(partOf([f('(root)'), f('x', `${ROOT}/node_modules/lib/src/x.js`)])).toBe('other');
    expect(partOf([f('(root)'), f('x', `${ROOT}/node_modules/lib/src/x.js`), f('prepare', `${ROOT}/src/manager/records/recorder.ts`)])).toBe('records and outbox');
    expect(partOf([f('(root)'), f('emit', 'node:events')])).toBe('other');
    expect(partOf([f('(root)'), f('', `${ROOT}/src/manager/entitlements/table.ts`)])).toBe('other');
  });
});

describe('splitProfile and formatSplit', () => {
  // root ─ idle; root ─ #onData ─ deliver; root ─ prepare; root ─ (garbage collector); root ─ manager ─ post (inspector)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: f('(root)'), children: [2, 3, 5, 6, 7] },
      { id: 2, callFrame: f('(idle)') },
      { id: 3, callFrame: f('#onData', `${ROOT}/src/manager/gateway/connection.ts`), children: [4] },
      { id: 4, callFrame: f('deliver', `${ROOT}/src/manager/routing/router.ts`) },
      { id: 5, callFrame: f('prepare', `${ROOT}/src/manager/records/recorder.ts`) },
      { id: 6, callFrame: f('(garbage collector)') },
      { id: 7, callFrame: f('manager', `${ROOT}/bench/manager.ts`), children: [8] },
      { id: 8, callFrame: f('post', 'node:inspector') },
    ],
    samples: [2, 3, 4, 4, 5, 6, 2, 4, 8],
    timeDeltas: [9000, 1000, 2000, 3000, 4000, 500, 9000, 1500, 2200],
  };

  it('adds the time of each sample to its part, none to idle', () => {
    const split = splitProfile(profile);
    expect(split.get('connector frames in, popups out')).toBeCloseTo(7.5);
    expect(split.get('records and outbox')).toBeCloseTo(4);
    expect(split.get('GC')).toBeCloseTo(0.5);
    expect(split.get('the profiler itself')).toBeCloseTo(2.2);
    expect([...split.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(14.2);
  });

  it('prints the total and each part with its time per popup, largest first, parts without time and the profiler left out', () => {
    const text = formatSplit('flat-out run', splitProfile(profile), 4);
    expect(text.split('\n')).toEqual([
      "flat-out run, main thread's work by part (CPU profile): 12 ms, 3000 µs per popup (the profiler's own 2 ms not counted)",
      '  connector frames in, popups out: 8 ms, 1875 µs per popup',
      '  records and outbox: 4 ms, 1000 µs per popup',
      '  GC: 1 ms, 125 µs per popup',
    ]);
  });

  it('reads a profile without samples as no work', () => {
    expect([...splitProfile({ nodes: [{ id: 1, callFrame: f('(root)') }] }).values()].every((ms) => ms === 0)).toBe(true);
  });
});
