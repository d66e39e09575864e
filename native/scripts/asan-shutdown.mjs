// Driven by native/scripts/asan.mjs: the addon built with AddressSanitizer,
// sessions shut down while thousands of messages are still queued, with
// lineMakeCall, lineHold, lineBlindTransferW, lineSetupTransferW and a
// conference's lineCompleteTransfer still waiting for their LINE_REPLY (and
// refused ones throwing), a consultation call handed out with its reply, gone
// IDLE and deallocated; repeated. Plain JavaScript so nothing but node runs under ASan.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
const binding = load(process.argv[2]);
const CALLSTATE_OFFERING = 2;
const CALLSTATE_IDLE = 1;
const CALLSTATE_DIALTONE = 8;
const CALLSTATE_CONNECTED = 0x100;
const CALLSTATE_ONHOLD = 0x400;
const LINE_REPLY = 12;
const CONFERENCE = 2;
const EXTERNAL = 4;
const LINE_CALLSTATE = 2;
// LINECALLFEATURE_HOLD | _UNHOLD | _BLINDTRANSFER | _SETUPTRANSFER | _DIAL | _COMPLETETRANSF, both transfer modes:
// the line offers hold, blind transfer, consultation and conference.
const FEATURES = 0x800 | 0x08000000 | 0x8 | 0x02000000 | 0x40 | 0x20;
const TRANSFER_MODES = 3;

function tapiResult(fn) {
  try {
    return fn();
  } catch (err) {
    return err.tapiResult;
  }
}

async function round(n) {
  binding.fakeControl('reset');
  binding.fakeControl(`line\t20\t20\t20\t1000\t4\t1\t${FEATURES}\t${TRANSFER_MODES}`);
  let seen = 0;
  let connected = 0;
  const handles = new Map();
  const replies = new Map();
  const session = new binding.Session('asan', 0x00020002, (m) => {
    seen++;
    if (m.message === LINE_CALLSTATE && m.param1 === CALLSTATE_CONNECTED && connected === 0) connected = m.hDevice;
    if (m.message === LINE_CALLSTATE) handles.set(`${m.hDevice}:${m.param1}`, m.hDevice);
    if (m.message === LINE_REPLY) replies.set(m.param1, m);
  });
  const until = async (check) => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  const call = (key, state) => binding.fakeControl(['call', key, '20', state, 0, EXTERNAL, 1, '%2B49%2030%201', '', '20', '', '', '', '', '', ''].join('\t'));
  const api = session.negotiate(0, 0x00010004, 0x00020002);
  const hLine = session.open(0, api, 6, 4);
  binding.fakeHook(() => undefined);
  for (let i = 0; i < 20; i++) session.makeCall(hLine, `0301234${i}`);
  binding.fakeControl(['call', `c${n}`, '20', CALLSTATE_CONNECTED, 0, EXTERNAL, 1, '%2B49%2030%201', '', '20', '', '', '', '', '', ''].join('\t'));
  while (connected === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  // Accepted requests stay unanswered into the shutdown; refused ones throw with their LINEERR_*.
  tapiResult(() => session.hold(connected));
  tapiResult(() => session.blindTransfer(connected, `J\u00fcrgen 030 ${n} \u{1F4DE}`));
  tapiResult(() => session.blindTransfer(connected, 'forged\tfield'));
  tapiResult(() => session.unhold(connected));
  tapiResult(() => session.dial(connected, 'forged\tfield'));
  tapiResult(() => session.completeTransfer(connected, connected, CONFERENCE));
  // A consultation handed out with its reply, dialled on, gone IDLE and deallocated.
  const setup = session.setupTransfer(connected);
  binding.fakeControl(`reply\t${setup}\t0\tconsult${n}`);
  await until(() => replies.has(setup));
  const consult = replies.get(setup).hCall;
  session.dial(consult, '030 1234567');
  call(`consult${n}`, CALLSTATE_DIALTONE);
  call(`consult${n}`, CALLSTATE_IDLE);
  await until(() => handles.has(`${consult}:${CALLSTATE_IDLE}`));
  session.deallocate(consult);
  // A lineSetupTransfer and a conference's lineCompleteTransfer left waiting for their reply into the shutdown.
  tapiResult(() => session.setupTransfer(connected));
  call(`held${n}`, CALLSTATE_ONHOLD);
  call(`party${n}`, CALLSTATE_CONNECTED);
  await until(() => [...handles.keys()].filter((k) => k.endsWith(`:${CALLSTATE_ONHOLD}`)).length > 0 && handles.size >= 4);
  const held = [...handles.entries()].find(([k]) => k.endsWith(`:${CALLSTATE_ONHOLD}`))[1];
  const party = [...handles.values()].filter((h) => h !== connected && h !== held && h !== consult).at(-1);
  tapiResult(() => session.completeTransfer(held, party, CONFERENCE));
  for (let i = 0; i < 5_000; i++) {
    binding.fakeControl(['call', `k${n}-${i}`, '20', CALLSTATE_OFFERING, 0, EXTERNAL, 1, '%2B49%2030%20' + i, 'J%C3%BCrgen', '20', '', '', '', '', '', ''].join('\t'));
  }
  await new Promise((resolve) => setTimeout(resolve, n % 2 === 0 ? 0 : 20));
  session.shutdown();
  session.shutdown();
  binding.fakeHook(null);
  return seen;
}

let total = 0;
for (let n = 0; n < 10; n++) total += await round(n);
binding.fakeControl('reset');
process.stdout.write(`rounds done, ${total} messages delivered before the shutdowns\n`);
