// OData `$batch` as Dataverse implements it: multipart/mixed with change sets; a change set is
// atomic (all or nothing) and its parts may refer to earlier parts' new records as `$<Content-ID>`;
// without `Prefer: odata.continue-on-error` processing stops at the first failure.
import { randomUUID } from 'node:crypto';
import { DV, ODataError } from '../errors.ts';
import type { SimState } from '../state.ts';
import type { WebApiContext } from './context.ts';

interface Part {
  contentId?: string;
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

type Item = { kind: 'single'; part: Part } | { kind: 'changeset'; parts: Part[] };

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 412: 'Precondition Failed', 429: 'Too Many Requests', 500: 'Internal Server Error',
};

function boundaryOf(contentType: string | null): string {
  const m = /boundary=("?)([^";]+)\1/i.exec(contentType ?? '');
  if (!m?.[2] || !/^multipart\/mixed/i.test(contentType ?? '')) throw new ODataError(400, DV.badRequestSyntax, "The content type of a $batch request must be 'multipart/mixed' with a boundary.");
  return m[2];
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const sections = body.split(delimiter);
  if (sections.length < 2) throw new ODataError(400, DV.badRequestSyntax, `The $batch body does not contain the boundary '${boundary}'.`);
  const parts: string[] = [];
  for (const section of sections.slice(1)) {
    if (section.startsWith('--')) break;
    parts.push(section.replace(/^\r?\n/, ''));
  }
  return parts;
}

function splitHead(text: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

function parseHeaders(lines: string): Headers {
  const h = new Headers();
  for (const line of lines.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return h;
}

function parsePart(text: string): Part {
  const { head: mimeHead, body: httpText } = splitHead(text);
  const mime = parseHeaders(mimeHead);
  if (!/^application\/http/i.test(mime.get('content-type') ?? '')) throw new ODataError(400, DV.badRequestSyntax, "Each $batch part must have 'Content-Type: application/http'.");
  const { head, body } = splitHead(httpText);
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const m = /^(GET|POST|PATCH|PUT|DELETE)\s+(\S+)\s+HTTP\/1\.1$/i.exec(requestLine.trim());
  if (!m?.[1] || !m[2]) throw new ODataError(400, DV.badRequestSyntax, `Invalid request line in $batch part: '${requestLine.trim()}'.`);
  const contentId = mime.get('content-id') ?? parseHeaders(headerLines.join('\n')).get('content-id') ?? undefined;
  return { method: m[1].toUpperCase(), url: m[2], headers: parseHeaders(headerLines.join('\n')), body: body.replace(/\r?\n$/, ''), ...(contentId ? { contentId } : {}) };
}

export function parseBatch(contentType: string | null, body: string): Item[] {
  const items: Item[] = [];
  for (const section of splitMultipart(body, boundaryOf(contentType))) {
    const { head, body: inner } = splitHead(section);
    const type = parseHeaders(head).get('content-type') ?? '';
    if (/^multipart\/mixed/i.test(type)) {
      const parts = splitMultipart(inner, boundaryOf(type)).map(parsePart);
      for (const p of parts) if (p.method === 'GET') throw new ODataError(400, DV.badRequestSyntax, 'A change set may not contain GET requests.');
      items.push({ kind: 'changeset', parts });
    } else {
      items.push({ kind: 'single', part: parsePart(section) });
    }
  }
  return items;
}

async function serialise(response: Response, contentId: string | undefined): Promise<string> {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ''}`.trimEnd());
  response.headers.forEach((v, k) => {
    if (!['req_id', 'x-ms-service-request-id'].includes(k)) lines.push(`${k}: ${v}`);
  });
  const text = response.status === 204 ? '' : await response.text();
  lines.push('', text);
  return lines.join('\r\n');
}

export async function handleBatch(ctx: WebApiContext, state: SimState, request: Request, run: (inner: Request) => Promise<Response>): Promise<Response> {
  const items = parseBatch(request.headers.get('content-type'), await request.text());
  const continueOnError = /odata\.continue-on-error/i.test(request.headers.get('prefer') ?? '');
  const outerPrefer = request.headers.get('prefer');
  const batchBoundary = `batchresponse_${randomUUID()}`;
  const out: string[] = [];
  const resolve = (raw: string, ids: Map<string, string>): string => {
    const ref = /^\$(\w+)(.*)$/.exec(raw);
    const base = ref?.[1] && ids.get(ref[1]) ? `${ids.get(ref[1])}${ref[2] ?? ''}` : raw;
    return new URL(base, ctx.baseUrl).toString();
  };
  const toRequest = (p: Part, ids: Map<string, string>): Request => {
    let body = p.body;
    for (const [id, url] of ids) body = body.replaceAll(`"$${id}"`, JSON.stringify(url));
    const headers = new Headers(p.headers);
    // Who acts is decided once, from the $batch request's own headers (the caller in `ctx` runs
    // every part): an impersonation header inside a part is ignored, the outer one applies to all
    // parts. The part's headers are made to say the same, so nothing downstream reads another.
    for (const h of ['authorization', 'callerobjectid', 'mscrmcallerid']) {
      headers.delete(h);
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    if (outerPrefer && !headers.has('prefer')) headers.set('prefer', outerPrefer.replace(/,?\s*odata\.continue-on-error/i, ''));
    return new Request(resolve(p.url, ids), { method: p.method, headers, ...(p.method === 'GET' || p.method === 'DELETE' ? {} : { body }) });
  };
  let failed = false;
  for (const item of items) {
    if (failed && !continueOnError) break;
    if (item.kind === 'single') {
      const res = await runSafely(run, toRequest(item.part, new Map()));
      out.push(await serialise(res, item.part.contentId));
      if (res.status >= 400) failed = true;
      continue;
    }
    const ids = new Map<string, string>();
    const tx = state.store.begin();
    const responses: { res: Response; contentId: string | undefined }[] = [];
    let error: Response | undefined;
    try {
      for (const part of item.parts) {
        const res = await runSafely(run, toRequest(part, ids));
        if (res.status >= 400) { error = res; break; }
        const entityId = res.headers.get('OData-EntityId');
        if (part.contentId && entityId) ids.set(part.contentId, entityId);
        responses.push({ res, contentId: part.contentId });
      }
    } finally {
      if (error) tx.rollback();
      else tx.commit();
    }
    if (error) {
      failed = true;
      out.push(await serialise(error, undefined));
      continue;
    }
    const csBoundary = `changesetresponse_${randomUUID()}`;
    const inner: string[] = [];
    for (const r of responses) inner.push(`--${csBoundary}\r\n${await serialise(r.res, r.contentId)}`);
    out.push(`Content-Type: multipart/mixed; boundary=${csBoundary}\r\n\r\n${inner.join('\r\n')}\r\n--${csBoundary}--`);
  }
  const body = `${out.map((p) => `--${batchBoundary}\r\n${p}`).join('\r\n')}\r\n--${batchBoundary}--\r\n`;
  return new Response(body, { status: 200, headers: { 'Content-Type': `multipart/mixed; boundary=${batchBoundary}`, 'OData-Version': '4.0' } });
}

async function runSafely(run: (inner: Request) => Promise<Response>, req: Request): Promise<Response> {
  try {
    return await run(req);
  } catch (err) {
    const e = err instanceof ODataError ? err : new ODataError(500, DV.unexpected, (err as Error).message);
    return new Response(JSON.stringify(e.body()), { status: e.status, headers: { 'Content-Type': 'application/json; odata.metadata=minimal', 'OData-Version': '4.0' } });
  }
}
