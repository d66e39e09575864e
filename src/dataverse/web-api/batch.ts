// OData `$batch` in the multipart/mixed form Dataverse accepts: reads as top
// level parts, writes either top level (independent) or in one change set
// (atomic: all or none). Responses come back in request order.
import { randomUUID } from 'node:crypto';
import type { BatchRequest, BatchResponse } from './types.ts';

const CRLF = '\r\n';

export interface BuiltBatch {
  readonly contentType: string;
  readonly body: string;
  /** Index in the request list of each response part, in response order. */
  readonly order: readonly number[];
}

function httpPart(request: BatchRequest, webApiUrl: string, contentId?: number): string {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `${request.method} ${webApiUrl}${request.path} HTTP/1.1`);
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['Content-Type'] = 'application/json;type=entry';
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push('', request.body === undefined ? '' : JSON.stringify(request.body));
  return lines.join(CRLF);
}

export function buildBatch(requests: readonly BatchRequest[], webApiUrl: string, atomic: boolean): BuiltBatch {
  const batchBoundary = `batch_${randomUUID()}`;
  const parts: string[] = [];
  const order: number[] = [];
  const writes = requests.map((r, i) => ({ r, i })).filter(({ r }) => r.method !== 'GET');
  let changeSetDone = false;
  requests.forEach((request, index) => {
    if (atomic && request.method !== 'GET') {
      if (changeSetDone) return;
      changeSetDone = true;
      const csBoundary = `changeset_${randomUUID()}`;
      const inner = writes.map(({ r }, n) => `--${csBoundary}${CRLF}${httpPart(r, webApiUrl, n + 1)}`);
      parts.push(`Content-Type: multipart/mixed; boundary=${csBoundary}${CRLF}${CRLF}${inner.join(CRLF)}${CRLF}--${csBoundary}--`);
      order.push(...writes.map(({ i }) => i));
      return;
    }
    parts.push(httpPart(request, webApiUrl));
    order.push(index);
  });
  const body = `${parts.map((p) => `--${batchBoundary}${CRLF}${p}`).join(CRLF)}${CRLF}--${batchBoundary}--${CRLF}`;
  return { contentType: `multipart/mixed; boundary=${batchBoundary}`, body, order };
}

function boundaryOf(contentType: string): string | undefined {
  if (!/^\s*multipart\/mixed/i.test(contentType)) return undefined;
  const match = /boundary=("?)([^";]+)\1/i.exec(contentType);
  return match?.[2];
}

function splitHead(text: string): { head: string; rest: string } {
  const normalized = text.replace(/^\r?\n/, '');
  const at = normalized.search(/\r?\n\r?\n/);
  if (at < 0) return { head: normalized, rest: '' };
  const sep = /\r?\n\r?\n/.exec(normalized.slice(at));
  return { head: normalized.slice(0, at), rest: normalized.slice(at + (sep?.[0].length ?? 2)) };
}

function parseHeaders(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Parses a multipart/mixed batch response (nested change sets flattened), or undefined when it is not one. */
export function parseBatch(contentType: string, body: string): BatchResponse[] | undefined {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) return undefined;
  const out: BatchResponse[] = [];
  const segments = body.split(`--${boundary}`);
  // segments[0] is the preamble; the segment after the closing delimiter starts with "--".
  for (const segment of segments.slice(1)) {
    if (segment.startsWith('--')) break;
    const { head, rest } = splitHead(segment);
    const partHeaders = parseHeaders(head);
    const partType = partHeaders['content-type'] ?? '';
    if (/multipart\/mixed/i.test(partType)) {
      const nested = parseBatch(partType, rest);
      if (nested === undefined) return undefined;
      out.push(...nested);
      continue;
    }
    const statusLine = /^HTTP\/1\.1\s+(\d{3})/.exec(rest.trimStart());
    if (statusLine?.[1] === undefined) return undefined;
    const afterStatus = rest.trimStart().replace(/^[^\r\n]*\r?\n/, '');
    const inner = splitHead(`${CRLF}${afterStatus}`.replace(/^\r?\n/, ''));
    const text = inner.rest.replace(/\r?\n$/, '');
    let parsed: unknown = text;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    } else {
      parsed = undefined;
    }
    out.push({ status: Number(statusLine[1]), headers: parseHeaders(inner.head), body: parsed });
  }
  return out;
}

/** Puts responses back into request order. */
export function inRequestOrder(responses: readonly BatchResponse[], order: readonly number[]): BatchResponse[] {
  const out: BatchResponse[] = new Array<BatchResponse>(order.length);
  responses.forEach((response, n) => {
    const index = order[n];
    if (index !== undefined) out[index] = response;
  });
  return out;
}
