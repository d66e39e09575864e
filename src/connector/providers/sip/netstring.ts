// Netstring framing (`<length>:<bytes>,`), as baresip's ctrl_tcp module frames
// every JSON command, response and event. Pure: no sockets, no clocks. The
// decoder keeps partial frames across chunks and refuses oversized or
// malformed ones with a typed error instead of buffering without end.
import { CrmTapiError } from '../../../protocol/errors.ts';

export const NETSTRING_ERROR_CODES = ['netstring-too-large', 'malformed-netstring'] as const;
export type NetstringErrorCode = (typeof NETSTRING_ERROR_CODES)[number];

export class NetstringError extends CrmTapiError {
  constructor(
    readonly code: NetstringErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** baresip's replies (help, reginfo of many accounts) stay far below this. */
export const DEFAULT_MAX_NETSTRING = 1024 * 1024;
const COLON = 0x3a;
const COMMA = 0x2c;
/** Digits of the largest length we accept, plus one to detect overflow early. */
const MAX_LENGTH_DIGITS = 10;

export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

export class NetstringDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLength = DEFAULT_MAX_NETSTRING) {}

  /** Adds bytes; returns every complete payload (UTF-8 text). Throws NetstringError on bad framing. */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      const colon = this.buffer.indexOf(COLON);
      if (colon < 0) {
        if (this.buffer.length > MAX_LENGTH_DIGITS) throw new NetstringError('malformed-netstring', 'no ":" after the length of a netstring');
        checkDigits(this.buffer);
        break;
      }
      const head = this.buffer.subarray(0, colon);
      if (head.length === 0 || head.length > MAX_LENGTH_DIGITS) throw new NetstringError('malformed-netstring', 'a netstring length must be 1 to 10 digits');
      checkDigits(head);
      const length = Number(head.toString('ascii'));
      if (length > this.maxLength) throw new NetstringError('netstring-too-large', `a netstring of ${length} bytes exceeds the limit of ${this.maxLength}`);
      const end = colon + 1 + length;
      if (this.buffer.length < end + 1) break;
      if (this.buffer[end] !== COMMA) throw new NetstringError('malformed-netstring', 'a netstring must end with ","');
      out.push(this.buffer.subarray(colon + 1, end).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 1);
    }
    return out;
  }
}

function checkDigits(bytes: Buffer): void {
  for (const b of bytes) if (b < 0x30 || b > 0x39) throw new NetstringError('malformed-netstring', 'a netstring length must be decimal digits');
}
