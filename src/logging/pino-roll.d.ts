// pino-roll 4 ships no type declarations; this covers the part we use. It
// resolves to a sonic-boom stream (an EventEmitter with write/flush/end).
declare module 'pino-roll' {
  import type { EventEmitter } from 'node:events';

  export interface RollStream extends EventEmitter {
    write(data: string): boolean;
    flush(cb?: (err?: Error) => unknown): void;
    end(): void;
    readonly file: string;
  }

  export interface PinoRollOptions {
    file: string;
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    symlink?: boolean;
    dateFormat?: string;
    mkdir?: boolean;
  }

  export default function pinoRoll(options: PinoRollOptions): Promise<RollStream>;
}
