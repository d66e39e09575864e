// The suite playing the manager for a client: take its next connection,
// check connect and prove, answer challenge and welcome with one line.
import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION, type CallControl, type CallNotificationMessage, type CallState, type ConnectMessage, type ProveMessage, type WelcomeMessage } from '../../protocol/index.ts';
import { check, type CaseTools } from '../case.ts';
import { isCommand } from '../inbox.ts';
import type { WsPeer } from '../ws-peer.ts';
import type { ClientContext } from './context.ts';

export const LINE = 'conformance:701';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ClientSession {
  peer: WsPeer;
  connect: ConnectMessage;
  prove: ProveMessage;
  nonce: string;
}

/** The suite's welcome: one line, with `controls` (1.1) only when given. */
export function welcomeFor(ctx: ClientContext, controls?: readonly CallControl[], protocolVersion = PROTOCOL_VERSION): WelcomeMessage {
  return {
    channel: 'intincall', command: 'welcome', userId: ctx.userId, userName: 'Conformance Suite', admin: false, protocolVersion,
    heartbeatInterval: ctx.target.heartbeatInterval,
    lines: [{
      line: LINE, displayName: 'Conformance 701',
      dialing: { internationalPrefix: '00', nationalPrefix: '0', countryCode: '49', areaCode: '30', baseNumber: '1234', outsideLinePrefix: '0', incomingDirectionCode: '0', maxInternalLength: 3, dialLocalWithoutAreaCode: true },
      popup: { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: 946410000 },
      rejectAllowed: true,
      ...(controls === undefined ? {} : { controls: [...controls] }),
    }],
  };
}

/** connect → challenge → prove → welcome, checking what the client sends. */
export async function clientSession(ctx: ClientContext, t: CaseTools, controls?: readonly CallControl[], protocolVersion?: string): Promise<ClientSession> {
  t.step('waiting for the client to connect');
  const peer = await ctx.listener.accept(ctx.target.acceptMs, t.signal);
  t.scope.add(() => peer.ws.terminate());
  t.step('waiting for connect');
  const connect = await peer.inbox.expect<ConnectMessage>(() => true, 'a first message', ctx.target.acceptMs);
  check(connect.command === 'connect' && connect.channel === 'intincall', `the client's first message is ${connect.channel}/${connect.command}, not intincall/connect (§7.6)`);
  if (connect.userid !== undefined) ctx.userId = connect.userid;
  const nonce = randomBytes(12).toString('base64url');
  peer.send({ channel: 'intincall', command: 'challenge', nonce, expiresAt: new Date(Date.now() + 120_000).toISOString() });
  t.step('waiting for prove (the client creates its session record)');
  const prove = await peer.inbox.expect<ProveMessage>(isCommand('prove'), '`prove` after `challenge`', ctx.target.acceptMs);
  check(prove.nonce === nonce, `prove carries nonce "${prove.nonce}", not the challenge's "${nonce}"`);
  check(GUID.test(prove.sessionRecordId), `sessionRecordId ${prove.sessionRecordId} is not a GUID`);
  peer.send(welcomeFor(ctx, controls, protocolVersion));
  return { peer, connect, prove, nonce };
}

let notification = 0;

export function notify(ctx: ClientContext, callKey: string, number: string, state: CallState, extra: Partial<CallNotificationMessage> = {}): CallNotificationMessage {
  notification += 1;
  return {
    channel: 'intincall', command: 'callNotification', notificationId: `n-${notification}`, callKey, timestamp: new Date().toISOString(), line: LINE, state,
    direction: 'inbound', number, matches: [], popup: (welcomeFor(ctx).lines[0] as WelcomeMessage['lines'][number]).popup, replayed: false, ...extra,
  };
}
