// Driven by native/scripts/asan.mjs: the addon built with AddressSanitizer,
// sessions shut down while thousands of messages are still queued, with
// lineMakeCall, lineHold and lineBlindTransferW requests still waiting for
// their LINE_REPLY (and refused ones throwing), and handles deallocated; repeated. Plain JavaScript so nothing but node runs under ASan.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
const binding = load(process.argv[2]);
const CALLSTATE_OFFERING = 2;
const CALLSTATE_CONNECTED = 0x100;
const EXTERNAL = 4;
const LINE_CALLSTATE = 2;
// LINECALLFEATURE_HOLD | _UNHOLD | _BLINDTRANSFER: the line offers hold and blind transfer.
const FEATURES = 0x800 | 0x08000000 | 0x8;

function tapiResult(fn) {
  try {
    return fn();
  } catch (err) {
    return err.tapiResult;
  }
}

async function round(n) {
  binding.fakeControl('reset');
  binding.fakeControl(`line\t20\t20\t20\t1000\t4\t1\t${FEATURES}`);
  let seen = 0;
  let connected = 0;
  const session = new binding.Session('asan', 0x00020002, (m) => {
    seen++;
    if (m.message === LINE_CALLSTATE && m.param1 === CALLSTATE_CONNECTED && connected === 0) connected = m.hDevice;
  });
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
