import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { decodeMessage, decodePayload, encodeMessage, ProtocolError } from '../../src/protocol/index.ts';
import { anyMessage } from './arbitraries.ts';
import { codeOf } from './error-code.ts';

/** Decoding either succeeds or throws a ProtocolError; anything else fails the test. */
function decodesOrProtocolError(xml: string): void {
  try {
    decodeMessage(xml);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
  '<tapiaction name="connector"><command>error</command><code>x</code><message>&lol3;</message></tapiaction>';

const EXTERNAL_ENTITY =
  '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><tapiaction name="connector"><command>error</command><code>&xxe;</code><message/></tapiaction>';

describe('hostile documents', () => {
  it('refuses billion laughs with doctype-forbidden', () => expect(codeOf(() => decodeMessage(BILLION_LAUGHS))).toBe('doctype-forbidden'));
  it('refuses external entities with doctype-forbidden', () => expect(codeOf(() => decodeMessage(EXTERNAL_ENTITY))).toBe('doctype-forbidden'));
  it('refuses an undeclared entity reference with entity-forbidden', () => {
    const xml = '<tapiaction name="connector"><command>error</command><code>&xxe;</code><message/></tapiaction>';
    expect(codeOf(() => decodeMessage(xml))).toBe('entity-forbidden');
  });
  it('refuses 10,000-deep nesting with too-deep, quickly', () => {
    const xml = '<tapiaction name="connector">' + '<a>'.repeat(10_000) + '</a>'.repeat(10_000) + '</tapiaction>';
    const started = performance.now();
    expect(codeOf(() => decodeMessage(xml, { limits: { maxDocumentBytes: 1_000_000 } }))).toBe('too-deep');
    // 8,000 levels still fit in one frame: refused by depth alone.
    expect(codeOf(() => decodeMessage('<a>'.repeat(8_000) + '</a>'.repeat(8_000)))).toBe('too-deep');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
  it('honours a lower depth limit', () => {
    const xml = '<tapiaction name="connector"><command>ack</command><seq>1</seq><x><y/></x></tapiaction>';
    expect(decodeMessage(xml)).toMatchObject({ command: 'ack', seq: 1 });
    expect(codeOf(() => decodeMessage(xml, { limits: { maxDepth: 2 } }))).toBe('too-deep');
  });
  it('refuses too many elements', () => {
    const xml = '<tapiaction name="connector"><command>keepalive</command>' + '<x/>'.repeat(20_000) + '</tapiaction>';
    expect(codeOf(() => decodeMessage(xml, { limits: { maxDocumentBytes: 1_000_000 } }))).toBe('too-many-elements');
  });
  it('refuses a document over the size limit', () => {
    const xml = '<tapiaction name="connector"><command>keepalive</command><x>' + 'é'.repeat(40_000) + '</x></tapiaction>';
    expect(codeOf(() => decodeMessage(xml))).toBe('document-too-large');
  });
  it('catches what the parser alone accepts', () => {
    expect(codeOf(() => decodeMessage('<tapiaction name="connector"><command>keepalive</tapiaction>'))).toBe('malformed-xml');
    expect(codeOf(() => decodeMessage('<tapiaction name="connector"><command>keepalive</command></tapiaction><x/>'))).toBe('malformed-xml');
    expect(codeOf(() => decodeMessage(''))).toBe('malformed-xml');
  });
  it('treats elements named like Object.prototype members as ordinary unknown elements', () => {
    const xml = '<tapiaction name="connector"><command>ack</command><__proto__><seq>5</seq></__proto__><constructor/><seq>1</seq></tapiaction>';
    expect(decodeMessage(xml)).toStrictEqual({ channel: 'connector', command: 'ack', seq: 1 });
    expect(({} as Record<string, unknown>).seq).toBeUndefined();
  });
  it('does not let attribute names reach Object.prototype', () => {
    const xml = '<tapiaction name="connector" __proto__="x" constructor="y"><command>keepalive</command></tapiaction>';
    decodesOrProtocolError(xml);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('message-level errors carry what a reply needs', () => {
  it('unknown command: channel and requestId are kept', () => {
    const xml = '<tapiaction name="intincall"><command>teleport</command><requestId>r-9</requestId></tapiaction>';
    try {
      decodeMessage(xml);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ code: 'unknown-command', channel: 'intincall', command: 'teleport', requestId: 'r-9' });
    }
  });
  it.each([
    ['<tapiaction><command>ack</command></tapiaction>', 'missing-field'],
    ['<tapiaction name="smtp"><command>ack</command></tapiaction>', 'unknown-channel'],
    ['<tapiaction name="connector"></tapiaction>', 'missing-field'],
    ['<tapiaction name="connector"><command>ack</command></tapiaction>', 'missing-field'],
    ['<tapiaction name="connector"><command>ack</command><seq>1.5</seq></tapiaction>', 'invalid-field'],
    ['<tapiaction name="connector"><command>ack</command><seq>9007199254740992</seq></tapiaction>', 'invalid-field'],
    ['<tapiaction name="connector"><command>ack</command><seq><n>1</n></seq></tapiaction>', 'invalid-field'],
    ['<tapiaction name="connector"><command>result</command><requestId>1</requestId><ok>false</ok></tapiaction>', 'missing-field'],
    ['<tapiaction name="intincall"><command>connect</command><registration>manual</registration><incallVersion>1</incallVersion></tapiaction>', 'invalid-field'],
    ['<tapiaction name="intincall"><command>connect</command><registration>auto</registration><incallVersion>1</incallVersion><userid>{85938DAD-EBD6-E511-80DE-00155D001BA9</userid></tapiaction>', 'invalid-field'],
    // A tab is an XML character but not one a single-line field may hold.
    ['<tapiaction name="connector"><command>lineRemoved</command><seq>1</seq><line>a\tb</line></tapiaction>', 'invalid-field'],
    // U+0001 is no XML character at all: the document is not well-formed.
    ['<tapiaction name="connector"><command>lineRemoved</command><seq>1</seq><line>a\u0001b</line></tapiaction>', 'malformed-xml'],
    ['<tapiacion name="intincall"><command>connect</command></tapiacion>', 'invalid-envelope'],
  ])('%s → %s', (xml, code) => expect(codeOf(() => decodeMessage(xml))).toBe(code));

  it('ignores unknown elements (forward compatibility) and accepts variant spellings', () => {
    const xml =
      '<tapiaction name="INTINCALL"><command>connect</command><future a="1"><deep/></future><registration>Manuell</registration>' +
      '<incallVersion>9.0.0.0</incallVersion><userid> 85938dad-EBD6-e511-80de-00155D001BA9 </userid></tapiaction>';
    expect(decodeMessage(xml)).toStrictEqual({
      channel: 'intincall',
      command: 'connect',
      registration: 'manuell',
      incallVersion: '9.0.0.0',
      userid: '85938dad-ebd6-e511-80de-00155d001ba9',
    });
  });

  it('maps an unknown end reason of a newer peer to other', () => {
    const xml =
      '<tapiaction name="connector"><command>callState</command><seq>3</seq><timestamp>2024-05-01T12:00:00.000Z</timestamp><line>25</line>' +
      '<callId>c</callId><state>disconnected</state><origin>inbound</origin><reason>parkedByRobot</reason><snapshot>0</snapshot></tapiaction>';
    expect(decodeMessage(xml)).toMatchObject({ reason: 'other', snapshot: false });
  });

  it('encoding refuses what decoding would refuse', () => {
    const bad: unknown[] = [
      { channel: 'connector', command: 'ack', seq: -1 },
      { channel: 'connector', command: 'ack', seq: 1, extra: 1 },
      { channel: 'connector', command: 'ack' },
      { channel: 'connector', command: 'fly' },
      { channel: 'x', command: 'ack' },
      { channel: 'connector', command: 'lineRemoved', seq: 1, line: 'a\u0000' },
      { channel: 'connector', command: 'lineRemoved', seq: 1, line: '\ud800' },
      { channel: 'intincall', command: 'challenge', nonce: 'n', expiresAt: '2024-02-30T00:00:00.000Z' },
    ];
    for (const m of bad) expect(codeOf(() => encodeMessage(m as never))).not.toBe('no error');
  });
});

describe('fuzz: random and mutated input only ever gives ProtocolError', () => {
  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 500 })('random bytes', (bytes) => {
    try {
      decodePayload(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
    }
  });

  test.prop([fc.string({ unit: fc.constantFrom('<', '>', '/', '?', '!', '&', ';', '"', "'", '=', ' ', 'a', 'tapiaction', 'name', '[', ']', '-', '#', 'x', '1') , maxLength: 200 })], { numRuns: 1000 })(
    'XML-ish noise',
    (xml) => decodesOrProtocolError(xml),
  );

  test.prop([anyMessage, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'delete', 'insert')), { minLength: 1, maxLength: 8 })], {
    numRuns: 500,
  })('mutated valid messages', (message, mutations) => {
    const bytes = Array.from(new TextEncoder().encode(encodeMessage(message)));
    for (const [at, value, kind] of mutations) {
      const i = at % (bytes.length + 1);
      if (kind === 'flip' && i < bytes.length) bytes[i] = value;
      else if (kind === 'delete') bytes.splice(i, 1);
      else bytes.splice(i, 0, value);
    }
    try {
      decodePayload(Uint8Array.from(bytes));
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
    }
  });
});
