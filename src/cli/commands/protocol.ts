// `crm-tapi protocol decode|encode`: the protocol codecs on the command line,
// for looking into captured TCP streams and for producing test input.
// decode: framed bytes (or one XML document with --xml) → one JSON object per line.
// encode: JSON objects (one per line, as decode prints them) → frames (or XML lines with --xml).
// A bad message prints `error: <code>: <explanation>` on stderr and nothing
// else for it; the command then exits with status 1.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import {
  decodeMessage,
  decodePayload,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  MAX_FRAME_LENGTH,
  ProtocolError,
  type TapiMessage,
} from '../../protocol/index.ts';
import { CliExit, EXIT, fail, printError } from '../output.ts';

interface Source {
  stream: Readable;
  label: string;
}

function openSource(file: string | undefined): Source {
  if (file === undefined || file === '-') return { stream: process.stdin, label: 'standard input' };
  return { stream: createReadStream(file), label: file };
}

/** Iterates the chunks of the input; a read failure ends the command with a precise error. */
async function* chunksOf(source: Source): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source.stream) yield chunk as Uint8Array;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail('file-not-found', `${source.label}: no such file`);
    if (code === 'EISDIR') fail('file-unreadable', `${source.label}: is a directory`);
    fail('file-unreadable', `${source.label}: ${(err as Error).message}`);
  }
}

function parseMaxFrameLength(value: string): number {
  const n = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_FRAME_LENGTH)) fail('invalid-option', `--max-frame-length must be an integer from 1 to ${MAX_FRAME_LENGTH}, got "${value}"`, EXIT.usage);
  return n;
}

function report(err: unknown): void {
  if (err instanceof ProtocolError) printError(err.code, err.message);
  else throw err;
}

function printMessage(message: TapiMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function decodeFramed(source: Source, maxFrameLength: number): Promise<boolean> {
  const decoder = new FrameDecoder({ maxFrameLength });
  let ok = true;
  for await (const chunk of chunksOf(source)) {
    let payloads: Uint8Array[];
    try {
      payloads = decoder.push(chunk);
    } catch (err) {
      // Framing errors leave no way to find the next frame: stop here.
      report(err);
      return false;
    }
    for (const payload of payloads) {
      try {
        printMessage(decodePayload(payload));
      } catch (err) {
        report(err);
        ok = false;
      }
    }
  }
  try {
    decoder.end();
  } catch (err) {
    report(err);
    return false;
  }
  return ok;
}

async function readAll(source: Source, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunksOf(source)) {
    total += chunk.length;
    if (total > limit) fail('document-too-large', `${source.label}: more than ${limit} bytes; one XML document carries at most ${limit}`);
    parts.push(chunk);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

async function decodeXml(source: Source): Promise<boolean> {
  const bytes = await readAll(source, MAX_FRAME_LENGTH);
  try {
    // The same path as a frame payload: strict UTF-8, then the XML checks.
    printMessage(bytes.length === 0 ? decodeMessage('') : decodePayload(bytes));
    return true;
  } catch (err) {
    report(err);
    return false;
  }
}

/** Splits JSON input into lines, keeping line numbers for error messages. */
async function* jsonLines(source: Source): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let line = 0;
  try {
    for await (const chunk of chunksOf(source)) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        line += 1;
        yield { line, text: pending.slice(0, nl) };
        pending = pending.slice(nl + 1);
      }
    }
    pending += decoder.decode();
  } catch (err) {
    if (err instanceof TypeError) fail('invalid-utf8', `${source.label}: input is not valid UTF-8`);
    throw err;
  }
  if (pending !== '') yield { line: line + 1, text: pending };
}

async function encode(source: Source, xml: boolean): Promise<boolean> {
  let ok = true;
  for await (const { line, text } of jsonLines(source)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      printError('invalid-json', `${source.label}:${line}: ${(err as Error).message}`);
      ok = false;
      continue;
    }
    try {
      const document = encodeMessage(value as TapiMessage);
      process.stdout.write(xml ? `${document}\n` : encodeFrame(document));
    } catch (err) {
      if (err instanceof ProtocolError) printError(err.code, `${source.label}:${line}: ${err.message}`);
      else throw err;
      ok = false;
    }
  }
  return ok;
}

export function registerProtocol(program: Command): void {
  const protocol = program.command('protocol').description('Decode and encode protocol frames and XML messages (spec/protocol.md)');

  protocol
    .command('decode')
    .description('Print one JSON object per message of framed bytes (2-byte length + XML), or of one XML document with --xml')
    .option('--xml', 'the input is one bare XML document, not frames')
    .option('--max-frame-length <bytes>', `refuse frames declaring more bytes (1..${MAX_FRAME_LENGTH})`, String(MAX_FRAME_LENGTH))
    .argument('[file]', 'input file, or - for standard input', '-')
    .action(async (file: string, opts: { xml?: boolean; maxFrameLength: string }) => {
      const maxFrameLength = parseMaxFrameLength(opts.maxFrameLength);
      const source = openSource(file);
      const ok = opts.xml === true ? await decodeXml(source) : await decodeFramed(source, maxFrameLength);
      if (!ok) throw new CliExit(1);
    });

  protocol
    .command('encode')
    .description('Turn JSON messages (one object per line, as decode prints them) into frames, or XML documents with --xml')
    .option('--xml', 'write one XML document per line instead of frames')
    .argument('[file]', 'input file, or - for standard input', '-')
    .action(async (file: string, opts: { xml?: boolean }) => {
      if (!(await encode(openSource(file), opts.xml === true))) throw new CliExit(1);
    });
}
