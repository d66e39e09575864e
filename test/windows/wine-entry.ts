// The tapi provider's Linux test files, run on the Windows build under wine:
// the contract suite, the differential scenario test, the provider tests, call
// control (hold, unhold, blind transfer, consultation, conference, caps that
// change at run time) and the LogLevel 6 trace. Not
// service-reinit.test.ts: under wine 8, Node's setKeepAlive on a connecting TCP
// socket fails ("connect UNKNOWN"), so the connector's manager link cannot
// connect there (real Windows has no such limit).
import { runAll } from './vitest-shim.ts';
import '../connector/provider-contract/tapi.test.ts';
import '../connector/providers/tapi/differential.test.ts';
import '../connector/providers/tapi/tapi-provider.test.ts';
import '../connector/providers/tapi/call-control.test.ts';
import '../connector/providers/tapi/consultation.test.ts';
import '../connector/providers/tapi/trace.test.ts';

const failed = await runAll((line) => process.stdout.write(`${line}\n`));
process.exitCode = failed === 0 ? 0 : 1;
