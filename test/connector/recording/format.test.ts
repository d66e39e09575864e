import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEntry, encodeHeader, parseRecording, RecordingError } from '../../../src/connector/recording/format.ts';
import type { RecordingHeader } from '../../../src/connector/recording/format.ts';
import { recordFlow } from '../provider-contract/harness.ts';

const header: RecordingHeader = {
  format: 'crm-tapi-recording',
  version: 1,
  provider: 'simulator',
  startedAt: '2026-01-01T00:00:00.000Z',
  lines: [{ name: '25', address: '25', permanentId: 'sim-25', mediaModes: ['audio'], inService: true }],
};
const offering = { type: 'call', at: 0, callId: 'c1', line: '25', state: 'offering', origin: 'inbound', caller: { number: '+49 30 1' } } as const;
const valid = encodeHeader(header) + encodeEntry({ t: 0, event: offering }) + encodeEntry({ t: 5, command: 'answer', args: ['c1'], ok: true }) + encodeEntry({ t: 9, end: 'closed' });

function failure(text: string, options: { allowUnfinished?: boolean } = {}): RecordingError {
  try {
    parseRecording(text, { origin: 'r.jsonl', ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(RecordingError);
    return err as RecordingError;
  }
  throw new Error('expected a RecordingError');
}

describe('recording format', () => {
  it('round-trips header and entries', () => {
    const parsed = parseRecording(valid);
    expect(parsed.header).toEqual(header);
    expect(parsed.entries).toHaveLength(3);
    expect(parsed.entries.map((e) => encodeEntry(e)).join('')).toBe(valid.slice(encodeHeader(header).length));
  });

  const lines = valid.split('\n');
  const cases: [string, string, string, number, RegExp][] = [
    ['empty file', '', 'recording-empty', 1, /empty/],
    ['cut in the middle of a line', valid.slice(0, valid.length - 8), 'recording-truncated', 4, /line 4: the recording is cut off/],
    ['no end entry', lines.slice(0, 3).join('\n') + '\n', 'recording-truncated', 3, /line 3: .*without its end entry/],
    ['garbage line', [lines[0], '{"t":0,"event":', lines[2], lines[3], ''].join('\n'), 'recording-corrupt', 2, /line 2: not valid JSON/],
    ['not a header', [lines[1], lines[3], ''].join('\n'), 'recording-corrupt', 1, /line 1: not a recording header/],
    ['future version', lines[0]?.replace('"version":1', '"version":9') + '\n' + lines.slice(1).join('\n'), 'recording-version', 1, /version 9 is not supported/],
    ['bad state', valid.replace('"offering"', '"ringing"'), 'recording-corrupt', 2, /line 2: event\.state/],
    ['unknown key', valid.replace('"ok":true', '"ok":true,"extra":1'), 'recording-corrupt', 3, /line 3/],
    ['time goes back', valid.replace('"t":5', '"t":50'), 'recording-corrupt', 4, /line 4: time offset 9 is before the previous one \(50\)/],
    ['entry after end', valid + encodeEntry({ t: 9, end: 'again' }), 'recording-corrupt', 5, /line 5: an entry after the end entry/],
  ];
  it.each(cases)('%s', (_name, text, code, line, message) => {
    const error = failure(text);
    expect(error.code).toBe(code);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith('r.jsonl:')).toBe(true);
  });

  it('an unfinished recording can be read when asked for', () => {
    const text = lines.slice(0, 3).join('\n') + '\n';
    expect(parseRecording(text, { allowUnfinished: true }).entries).toHaveLength(2);
  });

  it('any truncation of a real recording is a RecordingError naming a line, never anything else', async () => {
    const text = await recordFlow('inbound');
    const lineCount = text.split('\n').length - 1;
    fc.assert(
      // Cutting only the final newline leaves a complete recording; any shorter cut loses data.
      fc.property(fc.integer({ min: 0, max: text.length - 2 }), (cut) => {
        const error = failure(text.slice(0, cut));
        expect(['recording-truncated', 'recording-empty', 'recording-corrupt']).toContain(error.code);
        expect(error.line).toBeGreaterThanOrEqual(1);
        expect(error.line).toBeLessThanOrEqual(lineCount);
        expect(error.message).toMatch(/line \d+/);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('random bytes in place of a line give a line-numbered error', async () => {
    const text = await recordFlow('outbound');
    const all = text.split('\n');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: all.length - 2 }), fc.string({ maxLength: 40 }), (index, junk) => {
        const copy = [...all];
        copy[index] = junk;
        let error: unknown;
        try {
          parseRecording(copy.join('\n'));
        } catch (err) {
          error = err;
        }
        // Junk that happens to be a valid entry is fine; anything else must name its line.
        if (error !== undefined) {
          expect(error).toBeInstanceOf(RecordingError);
          expect((error as RecordingError).line).toBe(index + 1);
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});
