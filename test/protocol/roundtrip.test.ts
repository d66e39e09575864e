import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { commandsOf, CHANNELS, decodeMessage, decodePayload, encodeMessage, encodeMessageFrame, FrameDecoder } from '../../src/protocol/index.ts';
import { MESSAGE_ARBITRARIES, TRICKY_VALUES } from './arbitraries.ts';
import { concat } from './bytes.ts';

describe('round trip: decode(encode(m)) equals m', () => {
  it('has an arbitrary for every command of every channel', () => {
    const catalogue = CHANNELS.flatMap((ch) => commandsOf(ch).map((cmd) => `${ch}/${cmd}`)).sort();
    expect(Object.keys(MESSAGE_ARBITRARIES).sort()).toEqual(catalogue);
  });

  for (const [key, arbitrary] of Object.entries(MESSAGE_ARBITRARIES)) {
    test.prop([arbitrary], { numRuns: 150 })(key, (message) => {
      const xml = encodeMessage(message);
      expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><tapiaction name="')).toBe(true);
      expect(decodeMessage(xml)).toStrictEqual(message);
      expect(decodePayload(encodeMessageFrame(message).subarray(2))).toStrictEqual(message);
    });
  }
});

describe('values survive exactly', () => {
  const values = [...TRICKY_VALUES, '0049301234567', '00000000000000000000', '99999999999999999999', 'Ærøskøbing Straße', 'Ελληνικά', '  leading and trailing  '];
  for (const value of values) {
    it(`keeps ${JSON.stringify(value)} as a caller number, name and id`, () => {
      const message = {
        channel: 'connector',
        command: 'callState',
        seq: 1,
        timestamp: '2024-02-29T23:59:59.999Z',
        line: value,
        callId: value,
        state: 'offering',
        origin: 'inbound',
        callerNumber: value,
        callerName: value,
        snapshot: false,
      } as const;
      const decoded = decodeMessage(encodeMessage(message));
      expect(decoded).toStrictEqual(message);
      if (decoded.command === 'callState') expect(typeof decoded.callerNumber).toBe('string');
    });
  }

  it('keeps numbers as strings in hand-written XML, whatever they look like', () => {
    const xml =
      '<tapiaction name="intincall"><command>dial</command><requestId>0x1F</requestId><line>pbx:0815</line>' +
      '<number>1e5</number><regarding><entity>contact</entity><id>{0F8FAD5B-D9CB-469F-A165-70867728950E}</id></regarding></tapiaction>';
    expect(decodeMessage(xml)).toStrictEqual({
      channel: 'intincall',
      command: 'dial',
      requestId: '0x1F',
      line: 'pbx:0815',
      number: '1e5',
      regarding: { entity: 'contact', id: '0f8fad5b-d9cb-469f-a165-70867728950e' },
    });
  });

  it('reads CDATA and character references as text', () => {
    const xml =
      '<tapiaction name="connector"><command>lineRemoved</command><seq> 7 </seq><line><![CDATA[<25>]]>&#x26;&#38;&amp;</line></tapiaction>';
    expect(decodeMessage(xml)).toStrictEqual({ channel: 'connector', command: 'lineRemoved', seq: 7, line: '<25>&&&' });
  });
});

describe('every message survives a stream of frames', () => {
  test.prop([fc.array(fc.oneof(...Object.values(MESSAGE_ARBITRARIES)), { minLength: 1, maxLength: 8 })], { numRuns: 100 })(
    'encoded back to back and decoded in one push',
    (messages) => {
      const bytes = concat(messages.map((m) => encodeMessageFrame(m)));
      const decoder = new FrameDecoder();
      expect(decoder.push(bytes).map((p) => decodePayload(p))).toStrictEqual(messages);
      decoder.end();
    },
  );
});
