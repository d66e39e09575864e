import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { NetstringDecoder, NetstringError, encodeNetstring } from '../../../src/connector/providers/sip/netstring.ts';
import { accountAor, endReason, parseCtrlMessage, parseRegInfo, stripAnsi, transferUri, uriUser } from '../../../src/connector/providers/sip/messages.ts';
import { cleanDialString } from '../../../src/connector/providers/sip/provider.ts';

describe('netstring framing (baresip ctrl_tcp)', () => {
  test.prop([fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 10 })])('decodes what it encodes, however the stream is split', (payloads, cuts) => {
    const bytes = Buffer.concat(payloads.map(encodeNetstring));
    const decoder = new NetstringDecoder();
    const out: string[] = [];
    let at = 0;
    for (const cut of cuts) {
      const end = Math.min(bytes.length, at + cut);
      out.push(...decoder.push(bytes.subarray(at, end)));
      at = end;
    }
    out.push(...decoder.push(bytes.subarray(at)));
    expect(out).toEqual(payloads);
  });

  it.each([
    ['12x:', 'malformed-netstring'],
    ['3:abc;', 'malformed-netstring'],
    [':abc,', 'malformed-netstring'],
    ['12345678901', 'malformed-netstring'],
    ['2000000:', 'netstring-too-large'],
  ])('refuses %j with %s', (text, code) => {
    let error: unknown;
    try {
      new NetstringDecoder().push(Buffer.from(text));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NetstringError);
    expect((error as NetstringError).code).toBe(code);
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('random bytes give payloads or a typed error, never anything else', (bytes) => {
    try {
      new NetstringDecoder(1000).push(Buffer.from(bytes));
    } catch (err) {
      expect(err).toBeInstanceOf(NetstringError);
    }
  });
});

describe('baresip 1.0.0 messages as measured', () => {
  it('reads events and responses, and ignores anything else', () => {
    expect(parseCtrlMessage('{"event":true,"type":"CALL_CLOSED","class":"call","accountaor":"sip:26@127.0.0.1:5060","direction":"outgoing","peeruri":"sip:25@127.0.0.1:5060","id":"d94b8e4437e61dd1","param":"486 Rejected"}')).toEqual({
      kind: 'event', type: 'CALL_CLOSED', class: 'call', accountaor: 'sip:26@127.0.0.1:5060', direction: 'outgoing', peeruri: 'sip:25@127.0.0.1:5060', id: 'd94b8e4437e61dd1', param: '486 Rejected',
    });
    expect(parseCtrlMessage('{"response":true,"ok":true,"data":"call not found (id=x)\\n","token":"t2"}')).toEqual({ kind: 'response', ok: true, data: 'call not found (id=x)\n', token: 't2' });
    expect(parseCtrlMessage('not json')).toBeUndefined();
    expect(parseCtrlMessage('[1,2]')).toBeUndefined();
    expect(parseCtrlMessage('{"event":true}')).toBeUndefined();
  });

  it('reads reginfo text with its ANSI colours', () => {
    const text = '\n--- User Agents (2) ---\n> sip:25@127.0.0.1:25060                     \u001b[32mOK \u001b[;m kamailio (5.6.3 (x86_64/linux)) Expires 60s\n  sip:27@127.0.0.1:25060   \u001b[31mERR\u001b[;m \n  sip:28@127.0.0.1:25060   zzz\n\n';
    expect(stripAnsi('\u001b[32mOK \u001b[;m')).toBe('OK ');
    expect([...parseRegInfo(text)]).toEqual([
      ['sip:25@127.0.0.1:25060', 'ok'],
      ['sip:27@127.0.0.1:25060', 'failed'],
      ['sip:28@127.0.0.1:25060', 'unknown'],
    ]);
  });

  it('names lines and drops secrets from account lines', () => {
    expect(uriUser('sip:25@127.0.0.1:5060')).toBe('25');
    expect(uriUser('"Jan" <sip:+31207945011@pbx;user=phone>')).toBe('+31207945011');
    expect(accountAor('"Emily" <sip:25@pbx.example.com>;auth_pass=s3cret;regint=60')).toBe('sip:25@pbx.example.com');
    expect(accountAor('sip:25@pbx.example.com;auth_pass=s3cret')).toBe('sip:25@pbx.example.com');
  });

  it.each([
    ['486 Rejected', false, true, 'rejected'],
    ['486 Busy Here', false, false, 'busy'],
    ['404 Not Found', false, false, 'unreachable'],
    ['480 Temporarily Unavailable', false, false, 'noAnswer'],
    ['487 Request Terminated', false, true, 'callerHungUp'],
    ['Connection reset by peer', false, true, 'callerHungUp'],
    ['Connection reset by peer', true, true, 'normal'],
    ['Call transfered', true, true, 'transferred'],
    ['Call transfered', true, false, 'transferred'],
  ] as const)('CALL_CLOSED %j (connected %s, incoming %s) → %s', (param, connected, incoming, reason) => {
    expect(endReason(param, { connected, incoming })).toBe(reason);
  });

  it('our own end wins over what baresip says', () => {
    expect(endReason('Connection reset by user', { connected: false, incoming: true, ours: 'rejected' })).toBe('rejected');
  });

  it.each([
    ['030 1234567', '0301234567'],
    ['+49 (30) 123-45/67', '+49301234567'],
    ['sip:26@pbx.example.com', 'sip:26@pbx.example.com'],
    ['', undefined],
    ['26\nhangup', undefined],
    ['abc', undefined],
  ])('dial string %j → %j', (typed, clean) => {
    expect(cleanDialString(typed)).toBe(clean);
  });

  test.prop([fc.oneof(fc.stringMatching(/^\+?[0-9 ()\-./*#]{1,40}$/), fc.string({ unit: 'grapheme', maxLength: 40 })), fc.constantFrom('sip:25@pbx.example.com', 'sip:25@127.0.0.1:5070', 'sips:25@pbx.example.com')])(
    'a transfer target the dial check passes becomes a URI whose user part is the target, on the account’s host',
    (typed, aor) => {
      const target = cleanDialString(typed);
      if (target === undefined || /^sips?:/i.test(target)) return;
      const uri = transferUri(aor, target);
      expect(uriUser(uri)).toBe(target);
      expect(uri.slice(uri.indexOf('@'))).toBe(aor.slice(aor.indexOf('@')));
      expect(uri).not.toMatch(/[\s<>"]/);
    },
  );
});
