// Driven by native/scripts/asan.mjs: the addon built with AddressSanitizer,
// sessions shut down while thousands of messages are still queued, with
// lineMakeCall requests still waiting for their LINE_REPLY, and handles
// deallocated; repeated. Plain JavaScript so nothing but node runs under ASan.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
const binding = load(process.argv[2]);
const CALLSTATE_OFFERING = 2;
const EXTERNAL = 4;

async function round(n) {
  binding.fakeControl('reset');
  binding.fakeControl('line\t20\t20\t20\t1000\t4\t1');
  let seen = 0;
  const session = new binding.Session('asan', 0x00020002, () => void seen++);
  const api = session.negotiate(0, 0x00010004, 0x00020002);
  const hLine = session.open(0, api, 6, 4);
  binding.fakeHook(() => undefined);
  for (let i = 0; i < 20; i++) session.makeCall(hLine, `0301234${i}`);
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
