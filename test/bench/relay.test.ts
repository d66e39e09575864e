// bench/lib/relay.ts, the floors bench/manager.ts measures the manager against. The bare relay sends each
// client exactly the texts captured from the manager for each frame; the codec relay (--codec-relay) sends
// the same messages but decodes every frame and encodes every message with the protocol's codec, so a
// text that is not in the encoder's form arrives in it, and a frame the codec refuses is not relayed. The
// journal relay (--journal-relay) also journals each call event in the manager's SqliteSeqStore, forgets a
// call at its idle, and acknowledges each connection once the journal is durable.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { callFrame, schedule, sleep, timeline, type Popup } from '../../bench/lib/popups.ts';
import { relayJournal, startRelay, type Captured, type RelayServer } from '../../bench/lib/relay.ts';
import type { SqliteSeqStore } from '../../src/manager/gateway/sqlite-seq-store.ts';
import { decodeMessage, decodePayload, encodeFrame, encodeMessage, FrameDecoder } from '../../src/protocol/index.ts';

const CLIENTS = 3;
const keyOf = (p: Popup) => `bench${p.host}.example/${p.callId}`;
/** The spec's callNotification vector, for another call key, state and notification id. */
const VECTOR = (JSON.parse(readFileSync(new URL('../../spec/vectors/intincall-callNotification.json', import.meta.url), 'utf8')) as { input: { xml: string } }).input.xml;
const notification = (key: string, state: string, id: string) =>
  VECTOR.replace('<callKey>tapiconnector.chd.de#0x1F3A</callKey>', `<callKey>${key}</callKey>`).replace('<state>offering</state>', `<state>${state}</state>`).replace('<notificationId>n-5512</notificationId>', `<notificationId>${id}</notificationId>`);

const popups = schedule(6, CLIENTS, 1);
/** Per call key: the offering as the encoder writes it, and after the idle a text with a character reference (not the encoder's form). */
const captured: Captured = new Map(popups.map((p) => [keyOf(p), { offering: [notification(keyOf(p), 'offering', `n-${p.n}`)], after: [notification(keyOf(p), 'idle', `n&#45;${p.n}x`)] }]));

let relay: RelayServer | undefined;
const open: (WebSocket | Socket)[] = [];
let opened: ReturnType<typeof relayJournal> | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
  for (const o of open.splice(0)) {
    if (o instanceof WebSocket) o.terminate();
    else o.destroy();
  }
  relay?.close();
  relay = undefined;
});

/** The manager's journal, as bench/manager.ts --journal-relay gives it to the relay. */
function newJournal(): SqliteSeqStore {
  opened = relayJournal();
  return opened.journal;
}

/** The frames the connector link received (the relay's acknowledgements), decoded. */
const received: ReturnType<typeof decodePayload>[] = [];

/** Connects the clients and one connector, writes `frames`, and returns what each client received, in order. */
async function through(codec: boolean, frames: readonly Uint8Array[], expected: number, store?: SqliteSeqStore): Promise<string[][]> {
  relay = await startRelay({ hosts: 1, popups, rate: 1000, captured, keyOf, codec, ...(store === undefined ? {} : { journal: store }) });
  received.length = 0;
  const got: string[][] = Array.from({ length: CLIENTS }, () => []);
  for (let i = 0; i < CLIENTS; i += 1) {
    const ws = new WebSocket(relay.wsUrl, { perMessageDeflate: false });
    open.push(ws);
    ws.on('message', (data: Buffer) => got[i]!.push(data.toString('utf8')));
    await once(ws, 'open');
    while (relay.clients() <= i) await sleep(1); // the relay numbers clients in the order they connect
  }
  const link = connect({ host: '127.0.0.1', port: relay.tcpPort });
  open.push(link);
  const acks = new FrameDecoder();
  link.on('data', (chunk: Buffer) => {
    for (const payload of acks.push(chunk)) received.push(decodePayload(payload));
  });
  await once(link, 'connect');
  for (const frame of frames) link.write(frame);
  const deadline = Date.now() + 5000;
  while (got.flat().length < expected && Date.now() < deadline) await sleep(5);
  await sleep(50); // nothing more arrives
  return got;
}

const frames = () => timeline(popups, 1000).map(({ p, state, seq }) => callFrame(p, state, seq));
/** What client i must receive: the texts of its popups' frames, in the order of the frames. */
const expectedFor = (texts: (key: string, state: 'offering' | 'after') => string[]) =>
  Array.from({ length: CLIENTS }, (_, i) => timeline(popups, 1000).filter((s) => s.p.i === i).flatMap((s) => texts(keyOf(s.p), s.state === 'offering' ? 'offering' : 'after')));

describe('the bench relays', () => {
  it('bare: each client gets exactly the captured texts of its frames, in order', async () => {
    const got = await through(false, frames(), 2 * popups.length);
    expect(got).toEqual(expectedFor((key, which) => captured.get(key)![which]));
  });

  it('codec: the same messages, each encoded by the codec from its decoded form', async () => {
    const got = await through(true, frames(), 2 * popups.length);
    expect(got).toEqual(expectedFor((key, which) => captured.get(key)![which].map((t) => encodeMessage(decodeMessage(t)))));
    // The texts after each idle were not in the encoder's form: the codec relay did not send them as captured.
    expect(got.flat().some((t) => t.includes('&#45;'))).toBe(false);
    expect(got.flat().filter((t) => /<notificationId>n-\dx<\/notificationId>/.test(t))).toHaveLength(popups.length);
    expect(relay!.refused()).toBe(0);
  });

  it('codec: a frame the codec refuses is counted and its popup not relayed; the frames after it are', async () => {
    const all = frames();
    // The first popup's offering replaced by a frame whose payload is not a protocol document.
    const bad = encodeFrame(new TextEncoder().encode('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>callState</command><seq>x</seq></tapiaction>'));
    const got = await through(true, [bad, ...all.slice(1)], 2 * popups.length - 1);
    expect(relay!.refused()).toBe(1);
    const first = keyOf(timeline(popups, 1000)[0]!.p);
    expect(got.flat().filter((t) => t.includes(`<callKey>${first}</callKey>`)).map((t) => decodeMessage(t)).map((m) => m.command === 'callNotification' && m.state)).toEqual(['idle']);
    expect(got.flat()).toHaveLength(2 * popups.length - 1);
  });

  it('journal: the codec relay\'s messages, each event journaled and acknowledged once durable, a call forgotten at its idle', async () => {
    const store = newJournal();
    const sends = timeline(popups, 1000);
    const last = Math.max(...sends.map((s) => s.seq));
    const got = await through(true, frames(), 2 * popups.length, store);
    expect(got).toEqual(expectedFor((key, which) => captured.get(key)![which].map((t) => encodeMessage(decodeMessage(t)))));
    const deadline = Date.now() + 5000;
    while (received.at(-1)?.command !== 'ack' && Date.now() < deadline) await sleep(5);
    // Only acknowledgements come back, counting up, the last one the last event's seq; every call ended, so nothing stays journaled.
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((m) => m.command === 'ack')).toBe(true);
    const seqs = received.map((m) => (m.command === 'ack' ? m.seq : -1));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(last);
    expect(store.get('relay-host-0')).toBe(last);
    expect(store.journal()).toEqual([]);
  });

  it('journal: a call without its idle stays journaled; a refused frame is neither journaled nor acknowledged', async () => {
    const store = newJournal();
    const sends = timeline(popups, 1000);
    const unended = sends.find((s) => s.state === 'offering')!;
    // The first call's idle is left out; the last frame is one the codec refuses.
    const kept = sends.filter((s) => !(s.p === unended.p && s.state === 'idle'));
    const bad = encodeFrame(new TextEncoder().encode('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>callState</command><seq>99</seq></tapiaction>'));
    await through(true, [...kept.map(({ p, state, seq }) => callFrame(p, state, seq)), bad], 2 * popups.length - 1, store);
    const last = Math.max(...kept.map((s) => s.seq));
    const deadline = Date.now() + 5000;
    while (!received.some((m) => m.command === 'ack' && m.seq === last) && Date.now() < deadline) await sleep(5);
    expect(relay!.refused()).toBe(1);
    expect(received.map((m) => (m.command === 'ack' ? m.seq : -1)).at(-1)).toBe(last);
    expect(store.get('relay-host-0')).toBe(last);
    const left = store.journal();
    expect(left.map((e) => e.key)).toEqual([`relay-host-0/${unended.p.callId}`]);
    expect(left[0]!.message).toMatchObject({ command: 'callState', state: 'offering', seq: unended.seq });
  });

  it('codec: a captured text the codec cannot decode stops the relay before any call (the bare relay takes it)', async () => {
    const broken: Captured = new Map([...captured].map(([k, v]) => [k, { offering: v.offering, after: ['<tapiaction name="intincall"><command>nonsense</command></tapiaction>'] }]));
    await expect(startRelay({ hosts: 1, popups, rate: 1000, captured: broken, keyOf, codec: true })).rejects.toThrow();
    const bare = await startRelay({ hosts: 1, popups, rate: 1000, captured: broken, keyOf });
    bare.close();
  });
});
