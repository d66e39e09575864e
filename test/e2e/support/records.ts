// The CRM records of one call as an admin reads them: the call log entry the
// manager's outbox wrote (waited for) and the phone call it points to.
import { createSchema, lookupValue } from '../../../src/dataverse/schema.ts';
import { until } from './wait.ts';
import type { Row, WebApiUser } from './webapi.ts';

const log = createSchema().callLog;

export async function recordsOf(admin: WebApiUser, callKey: string): Promise<{ entry: Row; phoneCall: Row | undefined }> {
  let entry: Row | undefined;
  await until(async () => {
    [entry] = await admin.list(log.entitySet, `$filter=${log.fields.callKey} eq '${callKey}'`);
    return entry !== undefined;
  }, `the call log entry of ${callKey}`);
  const row = entry as Row;
  const phoneCallId = row[lookupValue(log.fields.phoneCall)];
  if (typeof phoneCallId !== 'string') return { entry: row, phoneCall: undefined };
  const [phoneCall] = await admin.list('phonecalls', `$filter=activityid eq ${phoneCallId}`);
  return { entry: row, phoneCall };
}
