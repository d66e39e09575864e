// The tapi provider's Linux test files, run on the Windows build under wine:
// the contract suite, the differential scenario test, the provider tests, REINIT
// through the connector service and the LogLevel 6 trace.
import { runAll } from './vitest-shim.ts';
import '../connector/provider-contract/tapi.test.ts';
import '../connector/providers/tapi/differential.test.ts';
import '../connector/providers/tapi/tapi-provider.test.ts';
import '../connector/providers/tapi/service-reinit.test.ts';
import '../connector/providers/tapi/trace.test.ts';

const failed = await runAll((line) => process.stdout.write(`${line}\n`));
process.exitCode = failed === 0 ? 0 : 1;
