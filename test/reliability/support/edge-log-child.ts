// Child process for the log-durability test: opens the service logger on
// LogFile (argv[2]), logs some info lines and one warning, then says
// `warned` on stdout and waits to be killed with SIGKILL.
import { createServiceLogger } from '../../../src/logging/index.ts';

const file = process.argv[2] ?? 'x.log';
const service = await createServiceLogger({ service: 'manager', settings: { LogArt: 'File', LogFile: file, LogLevel: 3 } });
for (let i = 0; i < 50; i += 1) service.logger.info({ i }, 'info before the warning');
service.logger.warn({ marker: 'last-words' }, 'the warning right before the kill');
process.stdout.write('warned\n');
setInterval(() => undefined, 1000);
