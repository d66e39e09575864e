// Child process of kill.test.ts: a manager-like process with an outbox.
//   send  <db> <server> <org> <writes.json>  enqueue the writes, print "enqueued", deliver
//                                           (printing "delivered <id>" once a write is forgotten), never exit
//   drain <db> <server> <org>               deliver what the outbox holds, print "drained <pending> <dead>", exit
// Signs in on-premises (NTLM) as the service account: TEST-ONLY credentials of the simulator.
import { readFileSync } from 'node:fs';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect } from '../../../src/dataverse/connection.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { OutboxWrite } from '../../../src/dataverse/outbox/store.ts';
import { dataverseTransport } from '../../../src/dataverse/outbox/transport.ts';

const [mode, db, server, org, writesFile] = process.argv.slice(2);
if ((mode !== 'send' && mode !== 'drain') || !db || !server || !org) {
  process.stderr.write('usage: kill-child.ts send|drain <db> <server> <org> [writes.json]\n');
  process.exit(2);
}
const connection = await connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: server, CrmOrganisation: org, CrmUsername: 'CONTOSO\\svc-crmtapi', CrmPassword: 'Test-only-svc-crmtapi-1!', CrmRequestTimeout: 60 }, 'child'), { retry: { maxAttempts: 1 } });
const outbox = new Outbox({ store: new SqliteOutboxStore(db), transport: dataverseTransport(connection.client), backoff: { baseMs: 20, maxMs: 200 },
  onEvent: (e) => {
    if (e.type === 'delivered') process.stdout.write(`delivered ${e.id}\n`);
  },
});
if (mode === 'send') {
  const writes = JSON.parse(readFileSync(writesFile ?? '', 'utf8')) as OutboxWrite[];
  for (const w of writes) outbox.enqueue(w);
  process.stdout.write('enqueued\n');
  outbox.start();
  setInterval(() => undefined, 60_000); // stay alive until killed
} else {
  outbox.start();
  await outbox.drained();
  const { pending, deadLetters } = outbox.stats();
  process.stdout.write(`drained ${pending} ${deadLetters}\n`);
  await outbox.close();
  await connection.client.close();
}
