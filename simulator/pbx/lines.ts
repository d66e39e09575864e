// Line lists as operators type them (`20-29`, `20-29,40,45-46`) and the
// LineInfo the simulated driver reports for an extension.
import { CrmTapiError } from '../../src/protocol/errors.ts';
import type { CallControl, LineInfo, MediaMode } from '../../src/connector/line-provider.ts';
import { CALL_CONTROLS } from '../../src/protocol/messages.ts';

export class LineSpecError extends CrmTapiError {
  readonly code = 'invalid-lines';
}

/** Extensions: 1 to 12 digits, as a PBX numbers its internal lines. */
export const EXTENSION_PATTERN = /^\d{1,12}$/;
const MAX_LINES = 10_000;

/** Expands `20-29,40` to ['20', …, '29', '40'] (keeping leading zeros and width of the range start). */
export function parseLineSpec(spec: string): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const range = /^(\d{1,12})\s*-\s*(\d{1,12})$/.exec(part);
    if (range !== null) {
      const [from, to] = [range[1] as string, range[2] as string];
      const first = Number(from);
      const last = Number(to);
      if (last < first) throw new LineSpecError(`line range "${part}" runs backwards`);
      if (last - first + 1 + result.length > MAX_LINES) throw new LineSpecError(`more than ${MAX_LINES} lines in "${spec.slice(0, 60)}"`);
      for (let n = first; n <= last; n++) add(String(n).padStart(from.length, '0'));
    } else if (EXTENSION_PATTERN.test(part)) {
      add(part);
    } else {
      throw new LineSpecError(`"${part.slice(0, 40)}" is neither an extension (digits) nor a range like 20-29`);
    }
  }
  return result;

  function add(ext: string): void {
    if (seen.has(ext)) throw new LineSpecError(`line ${ext} is listed twice`);
    seen.add(ext);
    result.push(ext);
  }
}

export interface LineOptions {
  readonly name?: string;
  readonly video?: boolean;
  /** The call controls the line offers (default: all of them; the simulated PBX does hold, transfer, consult and conference). */
  readonly controls?: readonly CallControl[];
}

export function lineInfo(extension: string, options: LineOptions = {}, inService = true): LineInfo {
  const mediaModes: MediaMode[] = options.video === true ? ['audio', 'video'] : ['audio'];
  const controls = [...(options.controls ?? CALL_CONTROLS)];
  return { name: options.name ?? extension, address: extension, permanentId: `sim-${extension}`, mediaModes, inService, controls };
}
