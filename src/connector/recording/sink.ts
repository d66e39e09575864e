// Where a recorder writes its lines: memory (tests) or a file. The file sink
// writes through a stream and reports failures once, on close, so a full disk
// never throws into the provider's event delivery.
import { createWriteStream } from 'node:fs';
import { CrmTapiError } from '../../protocol/errors.ts';

export interface RecordingSink {
  write(line: string): void;
  close(): Promise<void>;
}

export class RecordingWriteError extends CrmTapiError {
  readonly code = 'recording-write-failed';
}

export function memorySink(): RecordingSink & { text(): string } {
  const parts: string[] = [];
  return {
    write: (line) => void parts.push(line),
    close: () => Promise.resolve(),
    text: () => parts.join(''),
  };
}

export function fileSink(path: string): RecordingSink {
  const stream = createWriteStream(path, { flags: 'w', encoding: 'utf8' });
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure ??= err;
  });
  return {
    write(line: string): void {
      if (failure === undefined) stream.write(line);
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        const done = (): void => {
          if (failure === undefined) resolve();
          else reject(new RecordingWriteError(`cannot write the recording ${path}: ${(failure as NodeJS.ErrnoException).code ?? failure.message}`));
        };
        if (stream.closed || stream.destroyed) done();
        else
          stream.end((err?: Error | null) => {
            // The callback may learn of an open failure before the 'error' listener does.
            if (err) failure ??= err;
            done();
          });
      });
    },
  };
}
