// Writes spec/vectors/*.json: the manual's traces, one canonical vector per
// example message, and the error cases. Run: npx tsx test/protocol/vectors-generate.ts
// The vectors are committed; test/protocol/vectors.test.ts runs every one.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeFrame, encodeMessage, encodeMessageFrame } from '../../src/protocol/index.ts';
import { EXAMPLES } from './examples.ts';
import type { Vector } from '../../src/protocol/vectors.ts';

const dir = fileURLToPath(new URL('../../spec/vectors/', import.meta.url));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// Evidence: manual chapter 5.3, the OutCallLog line "Gesendet:" (v5 Silverlight client), verbatim.
const V5_SENT =
  '<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>connect</command><registration>auto</registration><incallVersion>5.1.23.0</incallVersion></tapiaction>';
// Evidence: manual chapter 5.2, "ShakeHands - MissedMessage:" as printed, with the typesetting line breaks.
const V8_PRINTED =
  '<?xml version="1.0" encoding="utf-8"><tapiacion\nname="initncall"><command>connect</command><registration>manuell</registration><incallVersion>8.1.1.0</in\ncallVersion><incallClient>web</incallClient><userid>{85938DAD-EBD6-E511-80DE-00155D001BA9}\n</userid><organisation>Tapi</organisation></tapiacion>';
const V8_UNWRAPPED = V8_PRINTED.replace('<tapiacion\nname', '<tapiacion name').replace('</in\ncallVersion>', '</incallVersion>');
const V8_DECL_REPAIRED = V8_UNWRAPPED.replace('encoding="utf-8">', 'encoding="utf-8"?>');
const V8_CORRECTED = V8_DECL_REPAIRED.replaceAll('tapiacion', 'tapiaction').replace('initncall', 'intincall');
const V8_DECODED = {
  channel: 'intincall',
  command: 'connect',
  registration: 'manuell',
  incallVersion: '8.1.1.0',
  incallClient: 'web',
  userid: '85938dad-ebd6-e511-80de-00155d001ba9',
  organisation: 'Tapi',
};
const V5_DECODED = { channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0' };

const manual: Vector[] = [
  {
    name: 'manual-v5-connect-sent',
    description: 'The v5 client handshake exactly as the manual prints it as sent (OutCallLog, "Gesendet"). Our encoder writes the same bytes.',
    source: 'manual',
    input: { xml: V5_SENT },
    expect: { messages: [V5_DECODED] },
    canonical: true,
  },
  {
    name: 'manual-v5-connect-framed',
    description: 'The same document framed: 2-byte big-endian length (178 = 0x00b2), then the UTF-8 bytes. The first bytes after the prefix, 60 63 120 109 108, match the printed send buffer.',
    source: 'manual',
    input: { framedHex: hex(encodeFrame(V5_SENT)) },
    expect: { messages: [V5_DECODED] },
    canonical: true,
  },
  {
    name: 'manual-v5-send-buffer-prefix',
    description:
      'The send buffer starts 1 78 (= 334 bytes follow) and 336 bytes were sent, but the printed document is 178 bytes: the log printed less than the frame carried. Framing the printed document behind the printed prefix leaves the frame 156 bytes short.',
    source: 'manual',
    input: { framedHex: '014e' + hex(new TextEncoder().encode(V5_SENT)) },
    expect: { error: 'truncated-frame' },
  },
  {
    name: 'manual-v8-handshake-as-printed',
    description: 'The v8 handshake as the manager logged it, verbatim with the line breaks of the printed manual; its XML declaration lacks the closing "?".',
    source: 'manual',
    input: { xml: V8_PRINTED },
    expect: { error: 'malformed-xml' },
  },
  {
    name: 'manual-v8-handshake-declaration-repaired',
    description: 'Line breaks and declaration repaired, the log\'s spellings "tapiacion"/"initncall" kept: refused (the root element is not tapiaction).',
    source: 'manual',
    input: { xml: V8_DECL_REPAIRED },
    expect: { error: 'invalid-envelope' },
  },
  {
    name: 'manual-v8-handshake-channel-typo',
    description: 'Envelope corrected but the channel spelt "initncall" as in the log: refused as an unknown channel.',
    source: 'manual',
    input: { xml: V8_DECL_REPAIRED.replaceAll('tapiacion', 'tapiaction') },
    expect: { error: 'unknown-channel' },
  },
  {
    name: 'manual-v8-handshake-corrected',
    description: 'The v8 handshake as the client must have sent it (spec/vendor-manual.md section 2): braced upper-case GUID normalised.',
    source: 'manual',
    input: { xml: V8_CORRECTED },
    expect: { messages: [V8_DECODED] },
  },
  {
    name: 'manual-v8-handshake-corrected-framed',
    description: 'The corrected v8 handshake framed, followed by the v5 handshake in the same stream.',
    source: 'manual',
    input: { framedHex: hex(encodeFrame(V8_CORRECTED)) + hex(encodeFrame(V5_SENT)) },
    expect: { messages: [V8_DECODED, V5_DECODED] },
  },
];

const canonical: Vector[] = EXAMPLES.map((e) => ({
  name: e.name,
  description: e.description,
  source: e.message.channel === 'intincall' && e.message.command === 'connect' ? 'manual' : e.message.channel === 'outcall' ? 'manual' : 'designed',
  input: { xml: encodeMessage(e.message) },
  expect: { messages: [e.message] },
  canonical: true,
}));

const lol = '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">';
const env = (body: string, channel = 'connector') => `<?xml version="1.0" encoding="utf-8"?><tapiaction name="${channel}">${body}</tapiaction>`;
const errors: Vector[] = [
  { name: 'error-billion-laughs', description: 'Entity expansion bomb.', input: { xml: `<?xml version="1.0"?><!DOCTYPE lolz [${lol}]><tapiaction name="connector"><command>keepalive</command><x>&lol2;</x></tapiaction>` }, expect: { error: 'doctype-forbidden' } },
  { name: 'error-external-entity', description: 'External entity (XXE).', input: { xml: `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><tapiaction name="connector"><command>keepalive</command><x>&xxe;</x></tapiaction>` }, expect: { error: 'doctype-forbidden' } },
  { name: 'error-undeclared-entity', description: 'Only the five predefined entities are allowed.', input: { xml: env('<command>keepalive</command><x>&nbsp;</x>') }, expect: { error: 'entity-forbidden' } },
  { name: 'error-deep-nesting', description: '8,000 nested elements (fits one frame).', input: { xml: '<a>'.repeat(8000) + '</a>'.repeat(8000) }, expect: { error: 'too-deep' } },
  { name: 'error-mismatched-tags', description: 'fast-xml-parser alone would accept this.', input: { xml: env('<command>ack</command><seq>1</command>') }, expect: { error: 'malformed-xml' } },
  { name: 'error-two-roots', description: 'One document, one root.', input: { xml: env('<command>keepalive</command>') + '<tapiaction/>' }, expect: { error: 'malformed-xml' } },
  { name: 'error-not-tapiaction', description: 'The root must be tapiaction.', input: { xml: '<tapi name="connector"><command>keepalive</command></tapi>' }, expect: { error: 'invalid-envelope' } },
  { name: 'error-unknown-channel', description: 'Unknown name attribute.', input: { xml: env('<command>keepalive</command>', 'smtp') }, expect: { error: 'unknown-channel' } },
  { name: 'error-unknown-command', description: 'Unknown command: reply with an error on the same channel.', input: { xml: env('<command>teleport</command><requestId>r1</requestId>') }, expect: { error: 'unknown-command' } },
  { name: 'error-missing-command', description: 'No command element.', input: { xml: env('<seq>1</seq>') }, expect: { error: 'missing-field' } },
  { name: 'error-missing-field', description: 'ack without seq.', input: { xml: env('<command>ack</command>') }, expect: { error: 'missing-field' } },
  { name: 'error-invalid-integer', description: 'seq must be a decimal integer.', input: { xml: env('<command>ack</command><seq>1e5</seq>') }, expect: { error: 'invalid-field' } },
  { name: 'error-invalid-state', description: 'state must be a TAPI call state.', input: { xml: env('<command>callState</command><seq>1</seq><timestamp>2024-05-02T08:15:30.125Z</timestamp><line>45</line><callId>1</callId><state>ringing</state><origin>inbound</origin><snapshot>false</snapshot>') }, expect: { error: 'invalid-field' } },
  { name: 'error-invalid-timestamp', description: 'Timestamps are UTC with milliseconds.', input: { xml: env('<command>eventsLost</command><seq>1</seq><count>1</count><firstTimestamp>2024-05-02 08:15:30</firstTimestamp><lastTimestamp>2024-05-02T08:15:30.125Z</lastTimestamp>') }, expect: { error: 'invalid-field' } },
  { name: 'error-invalid-guid', description: 'Unbalanced braces are not a GUID.', input: { xml: env('<command>connect</command><registration>auto</registration><incallVersion>8.1.1.0</incallVersion><userid>{85938DAD-EBD6-E511-80DE-00155D001BA9</userid>', 'intincall') }, expect: { error: 'invalid-field' } },
  { name: 'error-duplicate-field', description: 'A field appears once.', input: { xml: env('<command>ack</command><seq>1</seq><seq>2</seq>') }, expect: { error: 'invalid-field' } },
  { name: 'error-frame-too-large', description: 'Declared length 101 over a limit of 100: refused from the header alone.', input: { framedHex: '0065' }, options: { maxFrameLength: 100 }, expect: { error: 'frame-too-large' } },
  { name: 'error-truncated-frame', description: 'The stream ends inside a frame.', input: { framedHex: hex(encodeMessageFrame({ channel: 'connector', command: 'keepalive' })).slice(0, -10) }, expect: { error: 'truncated-frame' } },
  { name: 'error-truncated-header', description: 'The stream ends inside the length prefix.', input: { framedHex: hex(encodeMessageFrame({ channel: 'connector', command: 'keepalive' })) + '00' }, expect: { error: 'truncated-frame' } },
  { name: 'error-invalid-utf8', description: 'Payloads are strict UTF-8.', input: { framedHex: '0003' + '3cff3e' }, expect: { error: 'invalid-utf8' } },
];

const lenient: Vector[] = [
  {
    name: 'lenient-unknown-elements-and-case',
    description: 'Unknown elements are ignored; channel and registration in any case; GUID braced, upper case, surrounded by whitespace.',
    source: 'designed',
    input: { xml: '<tapiaction name="IntInCall"><command>connect</command><x-future><y/></x-future><registration>AUTO</registration><incallVersion>5.1.23.0</incallVersion><userid>\n{D9D1831C-0B61-E011-AD1A-00155D007813}\n</userid></tapiaction>' },
    expect: { messages: [{ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0', userid: 'd9d1831c-0b61-e011-ad1a-00155d007813' }] },
  },
  {
    name: 'exact-numbers-and-names',
    description: 'Numbers and names stay strings exactly as sent: leading zeros, spaces, 1e5, 0x1F, 20 digits, non-ASCII.',
    source: 'designed',
    input: { xml: env('<command>callState</command><seq>7</seq><timestamp>2024-05-02T08:15:30.125Z</timestamp><line>0815</line><callId>0x1F</callId><state>connected</state><origin>outbound</origin><callerNumber>+49 30 1234-567</callerNumber><callerName>Zoë Ærøskøbing 日本</callerName><calledNumber>12345678901234567890</calledNumber><connectedNumber>1e5</connectedNumber><snapshot>true</snapshot>') },
    expect: {
      messages: [
        { channel: 'connector', command: 'callState', seq: 7, timestamp: '2024-05-02T08:15:30.125Z', line: '0815', callId: '0x1F', state: 'connected', origin: 'outbound', callerNumber: '+49 30 1234-567', callerName: 'Zoë Ærøskøbing 日本', calledNumber: '12345678901234567890', connectedNumber: '1e5', snapshot: true },
      ],
    },
    canonical: true,
  },
];

mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.json')) rmSync(dir + file);
const all = [...manual, ...canonical, ...errors.map((v) => ({ ...v, source: 'designed' as const })), ...lenient];
for (const v of all) writeFileSync(`${dir}${v.name}.json`, JSON.stringify(v, null, 2) + '\n');
console.log(`wrote ${all.length} vectors to ${dir}`);
