// The customization actions an administrator calls: ImportSolution (the zip as
// base64 with the caller's ImportJobId; needs prvImportCustomizations), and
// PublishAllXml / PublishXml (prvPublishCustomizations; the simulator has
// nothing to compile, so publishing records the time on the published forms).
import { randomUUID } from 'node:crypto';
import { isoSeconds } from '../clock.ts';
import { DV, ODataError } from '../errors.ts';
import { isGuid } from '../records.ts';
import { applySolution } from '../solution/import.ts';
import type { SimState } from '../state.ts';
import type { WebApiContext } from './context.ts';

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  try {
    const parsed = JSON.parse(text || '{}') as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ODataError(400, DV.badRequestSyntax, 'The request body is not valid JSON.');
}

export async function importSolutionAction(ctx: WebApiContext, state: SimState, request: Request): Promise<Response> {
  ctx.writes.demandMisc('prvImportCustomizations', ctx.actor);
  const body = await jsonBody(request);
  const file = body['CustomizationFile'];
  if (typeof file !== 'string' || file === '' || !/^[A-Za-z0-9+/=\s]+$/.test(file)) {
    throw new ODataError(400, DV.invalidArgument, 'CustomizationFile is required and must be the solution zip as base64.');
  }
  const jobId = typeof body['ImportJobId'] === 'string' && isGuid(body['ImportJobId']) ? body['ImportJobId'].toLowerCase() : randomUUID();
  applySolution(state, new Uint8Array(Buffer.from(file, 'base64')), jobId, ctx.now);
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}

export async function publishAction(ctx: WebApiContext, request: Request, all: boolean): Promise<Response> {
  ctx.writes.demandMisc('prvPublishCustomizations', ctx.actor);
  const body = all ? {} : await jsonBody(request);
  let entities: string[] | undefined;
  if (!all) {
    const xml = body['ParameterXml'];
    if (typeof xml !== 'string' || !/<importexportxml>/i.test(xml)) throw new ODataError(400, DV.invalidArgument, 'ParameterXml is required: <importexportxml><entities><entity>…</entity></entities></importexportxml>.');
    entities = [...xml.matchAll(/<entity>\s*([a-z0-9_]+)\s*<\/entity>/gi)].map((m) => (m[1] ?? '').toLowerCase());
  }
  const when = isoSeconds(ctx.now);
  ctx.store.transaction(() => {
    for (const form of [...ctx.store.all('systemform')]) {
      if (entities !== undefined && !entities.includes(String(form['objecttypecode']))) continue;
      ctx.store.put('systemform', String(form['formid']), { ...form, publishedon: when });
    }
  });
  return new Response(null, { status: 204, headers: { 'OData-Version': '4.0' } });
}
