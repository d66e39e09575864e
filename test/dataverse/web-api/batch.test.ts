// $batch bodies: the request layout Dataverse expects and the parsing of its
// multipart answers, including a change set and a failed change set.
import { describe, expect, it } from 'vitest';
import { buildBatch, inRequestOrder, parseBatch } from '../../../src/dataverse/web-api/batch.ts';

const api = 'https://org.crm4.dynamics.com/api/data/v9.2/';

describe('buildBatch', () => {
  it('puts writes of an atomic batch into one change set with Content-IDs and keeps reads outside', () => {
    const built = buildBatch([
      { method: 'GET', path: 'WhoAmI' },
      { method: 'POST', path: 'phonecalls', body: { subject: 'a' } },
      { method: 'PATCH', path: 'ctapi_calllogs(11111111-2222-3333-4444-555555555555)', body: { ctapi_name: 'b' }, headers: { 'If-None-Match': '*' } },
      { method: 'GET', path: 'RetrieveVersion' },
    ], api, true);
    const boundary = /boundary=(batch_[0-9a-f-]+)/.exec(built.contentType)?.[1] ?? '';
    expect(boundary).not.toBe('');
    expect(built.body.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(built.body.match(/Content-Type: multipart\/mixed; boundary=changeset_/g)).toHaveLength(1);
    expect(built.body).toContain(`Content-ID: 1\r\n\r\nPOST ${api}phonecalls HTTP/1.1\r\nContent-Type: application/json;type=entry\r\n\r\n{"subject":"a"}`);
    expect(built.body).toContain('Content-ID: 2');
    expect(built.body).toContain('If-None-Match: *');
    expect(built.order).toEqual([0, 1, 2, 3]);
  });
});

describe('parseBatch', () => {
  const body = [
    '--batchresponse_1',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; odata.metadata=minimal',
    'OData-Version: 4.0',
    '',
    '{"UserId":"u"}',
    '--batchresponse_1',
    'Content-Type: multipart/mixed; boundary=changesetresponse_2',
    '',
    '--changesetresponse_2',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 1',
    '',
    'HTTP/1.1 204 No Content',
    'OData-EntityId: https://org/api/data/v9.2/phonecalls(11111111-2222-3333-4444-555555555555)',
    '',
    '',
    '--changesetresponse_2--',
    '--batchresponse_1--',
    '',
  ].join('\r\n');

  it('flattens change set answers and keeps status, headers and JSON bodies', () => {
    const parsed = parseBatch('multipart/mixed; boundary=batchresponse_1', body);
    expect(parsed).toEqual([
      { status: 200, headers: { 'content-type': 'application/json; odata.metadata=minimal', 'odata-version': '4.0' }, body: { UserId: 'u' } },
      { status: 204, headers: { 'odata-entityid': 'https://org/api/data/v9.2/phonecalls(11111111-2222-3333-4444-555555555555)' }, body: undefined },
    ]);
    expect(inRequestOrder(parsed ?? [], [1, 0]).map((r) => r.status)).toEqual([204, 200]);
  });

  it('answers undefined for something that is not a batch', () => {
    expect(parseBatch('application/json', '{}')).toBeUndefined();
    expect(parseBatch('multipart/mixed; boundary=x', '--x\r\n\r\nnot http\r\n--x--')).toBeUndefined();
  });
});
