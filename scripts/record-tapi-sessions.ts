// Records fixtures/sessions/tapi-*.jsonl: scenarios of fixtures/scenarios/
// played by the simulated PBX behind the fake tapi32 (native/, Linux) and
// recorded through the `tapi` provider on the real addon.
// Run: npm run build:native && npx tsx scripts/record-tapi-sessions.ts [OUT_DIR]
// Then refresh their goldens: crm-tapi replay fixtures/sessions/tapi-….jsonl --through-stack --update-golden
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTapiBinding, type FakeTspControl, type TapiBinding } from '../src/connector/providers/tapi/binding.ts';
import { fileSink } from '../src/connector/recording/sink.ts';
import { playScenarioThroughTapi } from '../simulator/pbx/record-tapi.ts';
import { parseScenario } from '../simulator/pbx/scenario.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
/** The scenarios recorded through tapi: answered, missed on a shared line, outbound, busy, a hunt group. */
export const TAPI_SCENARIOS = ['incoming-answered', 'missed-call', 'outbound-answered', 'busy', 'hunt-group'] as const;

/** Records every scenario of TAPI_SCENARIOS into `out` as tapi-NAME.jsonl; returns the paths. */
export async function recordTapiSessions(binding: TapiBinding & FakeTspControl, out: string): Promise<string[]> {
  const paths: string[] = [];
  for (const name of TAPI_SCENARIOS) {
    const scenario = parseScenario(await readFile(join(root, 'fixtures', 'scenarios', `${name}.yaml`), 'utf8'), `${name}.yaml`);
    const path = join(out, `tapi-${name}.jsonl`);
    const sink = fileSink(path);
    const played = await playScenarioThroughTapi(scenario, binding, sink);
    if (played.errors.length > 0) throw new Error(`${name}: ${played.errors.map((e) => e.message).join('; ')}`);
    paths.push(path);
  }
  return paths;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const binding = loadTapiBinding();
  if (binding.fakeControl === undefined || binding.fakeHook === undefined) throw new Error('the addon was not built against the fake TSP: npm run build:native');
  for (const path of await recordTapiSessions(binding as TapiBinding & FakeTspControl, process.argv[2] ?? join(root, 'fixtures', 'sessions'))) process.stdout.write(`${path}\n`);
}
