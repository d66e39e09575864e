import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appToken, startSim } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let token: string;

beforeAll(async () => {
  dv = await startSim();
  token = await appToken(dv);
});
afterAll(async () => { await dv.close(); });

function part(method: string, url: string, body?: unknown, contentId?: string): string {
  return [
    'Content-Type: application/http', 'Content-Transfer-Encoding: binary', ...(contentId ? [`Content-ID: ${contentId}`] : []), '',
    `${method} ${url} HTTP/1.1`, 'Content-Type: application/json', '', body === undefined ? '' : JSON.stringify(body),
  ].join('\r\n');
}

function batch(items: (string | string[])[]): string {
  const lines: string[] = [];
  items.forEach((item, i) => {
    lines.push('--batch_1');
    if (typeof item === 'string') lines.push(item);
    else {
      lines.push(`Content-Type: multipart/mixed; boundary=changeset_${i}`, '');
      for (const p of item) lines.push(`--changeset_${i}`, p);
      lines.push(`--changeset_${i}--`);
    }
  });
  lines.push('--batch_1--', '');
  return lines.join('\r\n');
}

async function post(body: string, prefer?: string): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(`${dv.webApiUrl}$batch`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/mixed; boundary=batch_1', ...(prefer ? { Prefer: prefer } : {}) }, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('$batch', () => {
  it('runs a change set with a Content-ID reference and a GET, answering multipart/mixed', async () => {
    const id = '5b5b5b5b-0000-4000-8000-00000000000a';
    const res = await post(batch([
      [
        part('POST', `${dv.webApiUrl}phonecalls`, { activityid: id, subject: 'im Batch' }, '1'),
        part('PATCH', '$1', { description: 'über $1 geändert' }, '2'),
      ],
      part('GET', `phonecalls(${id})?$select=subject,description`),
    ]));
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^multipart\/mixed; boundary=batchresponse_/);
    expect(res.text).toMatch(/Content-Type: multipart\/mixed; boundary=changesetresponse_/);
    expect(res.text).toMatch(/Content-ID: 1\r\n\r\nHTTP\/1\.1 204 No Content/);
    expect(res.text).toContain('"description":"über $1 geändert"');
    expect(dv.store.get('phonecall', id)?.['description']).toBe('über $1 geändert');
  });

  it('a failing change set is rolled back whole and stops the batch', async () => {
    const before = dv.store.count('phonecall');
    const res = await post(batch([
      [
        part('POST', 'phonecalls', { subject: 'wird zurückgerollt' }, '1'),
        part('POST', 'phonecalls', { subject: 'kaputt', nosuch: 1 }, '2'),
      ],
      part('GET', 'WhoAmI'),
    ]));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/HTTP\/1\.1 400 Bad Request/);
    expect(res.text).not.toContain('WhoAmIResponse');
    expect(dv.store.count('phonecall')).toBe(before);
  });

  it('odata.continue-on-error goes on after a failure', async () => {
    const res = await post(batch([part('GET', 'nosuchset'), part('GET', 'WhoAmI')]), 'odata.continue-on-error');
    expect(res.text).toMatch(/HTTP\/1\.1 404 Not Found/);
    expect(res.text).toContain('WhoAmIResponse');
  });

  it('rejects a body without the boundary and GET inside a change set', async () => {
    expect((await post('no multipart here')).status).toBe(400);
    expect((await post(batch([[part('GET', 'WhoAmI')]]))).status).toBe(400);
  });
});
