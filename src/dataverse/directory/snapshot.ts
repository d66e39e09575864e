// On-disk snapshot of the phone index so a restarted manager answers lookups
// at once. Format (version 1, UTF-8 lines):
//   line 1      header  {"format":"crm-tapi-phone-directory","version":1,"createdAt","fingerprint","fields","cursors"}
//   lines 2..n  records [entityNo, id, name, key|null, …]  (keys aligned with the entity's fields)
//   last line   trailer {"records":n,"sha256":"<hex of the record lines>"}
// Written to a temp file, fsynced and renamed over the old one, so a crash
// leaves either the old or the new snapshot, never half of one.
import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DirectoryError } from './errors.ts';
import { PhoneIndex } from './phone-index.ts';
import type { EntityPhoneFields } from './phone-fields.ts';
import type { EntityCursor } from './source.ts';

export const SNAPSHOT_FORMAT = 'crm-tapi-phone-directory';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotMeta {
  readonly createdAt: string;
  readonly fingerprint: string;
  readonly fields: readonly EntityPhoneFields[];
  readonly cursors: Readonly<Record<string, EntityCursor>>;
}

export interface LoadedSnapshot extends SnapshotMeta {
  readonly index: PhoneIndex;
}

const CHUNK = 1 << 20;

export async function writeSnapshot(path: string, index: PhoneIndex, meta: SnapshotMeta): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      const entityNo = new Map(index.fields.map((f, i) => [f.entity, i]));
      const header = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...meta };
      await file.writeFile(`${JSON.stringify(header)}\n`);
      const hash = createHash('sha256');
      let buffer = '';
      let records = 0;
      for (const { entity, id, name, keys } of index.records()) {
        buffer += `${JSON.stringify([entityNo.get(entity), id, name, ...keys.map((k) => k ?? null)])}\n`;
        records += 1;
        if (buffer.length >= CHUNK) {
          hash.update(buffer);
          await file.writeFile(buffer);
          buffer = '';
        }
      }
      hash.update(buffer);
      await file.writeFile(buffer);
      await file.writeFile(`${JSON.stringify({ records, sha256: hash.digest('hex') })}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    await syncDirectory(dirname(path));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DirectoryError('snapshot-write-failed', `cannot write the phone directory snapshot ${path} (${code})`, { cause: err });
  }
}

/**
 * Reads a snapshot. Returns undefined when there is none; throws
 * DirectoryError `snapshot-corrupt` for anything that is not a complete,
 * intact snapshot of this version.
 */
export async function readSnapshot(path: string): Promise<LoadedSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt(path, `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const firstEnd = text.indexOf('\n');
  const lastStart = text.lastIndexOf('\n', text.length - 2);
  if (firstEnd < 0 || lastStart < firstEnd || !text.endsWith('\n')) throw corrupt(path, 'truncated');
  const header = parseJson(text.slice(0, firstEnd), path, 'header');
  if (!isObject(header) || header.format !== SNAPSHOT_FORMAT) throw corrupt(path, 'not a phone directory snapshot');
  if (header.version !== SNAPSHOT_VERSION) throw corrupt(path, `version ${String(header.version)} is not ${SNAPSHOT_VERSION}`);
  const trailer = parseJson(text.slice(lastStart + 1, -1), path, 'trailer');
  if (!isObject(trailer) || typeof trailer.sha256 !== 'string' || typeof trailer.records !== 'number') throw corrupt(path, 'truncated');
  const body = text.slice(firstEnd + 1, lastStart + 1);
  if (createHash('sha256').update(body).digest('hex') !== trailer.sha256) throw corrupt(path, 'checksum mismatch');

  const fields = validateFields(header.fields, path);
  if (typeof header.fingerprint !== 'string' || typeof header.createdAt !== 'string' || !isObject(header.cursors)) {
    throw corrupt(path, 'header incomplete');
  }
  const cursors = validateCursors(header.cursors, path);
  const index = new PhoneIndex(fields);
  let records = 0;
  let start = 0;
  while (start < body.length) {
    const end = body.indexOf('\n', start);
    const row = parseJson(body.slice(start, end), path, `record ${records + 1}`);
    start = end + 1;
    const spec = Array.isArray(row) && typeof row[0] === 'number' ? fields[row[0]] : undefined;
    if (!spec || !Array.isArray(row) || typeof row[1] !== 'string' || typeof row[2] !== 'string' || row.length !== 3 + spec.fields.length) {
      throw corrupt(path, `record ${records + 1} is malformed`);
    }
    const keys = row.slice(3).map((k: unknown) => (typeof k === 'string' ? k : undefined));
    index.upsert(spec.entity, row[1], row[2], keys);
    records += 1;
  }
  if (records !== trailer.records) throw corrupt(path, `holds ${records} records, trailer says ${trailer.records}`);
  return { index, createdAt: header.createdAt, fingerprint: header.fingerprint, fields, cursors };
}

function validateFields(value: unknown, path: string): EntityPhoneFields[] {
  if (!Array.isArray(value)) throw corrupt(path, 'header has no field list');
  return value.map((item: unknown) => {
    if (!isObject(item) || typeof item.entity !== 'string' || !Array.isArray(item.fields) || !item.fields.every((f) => typeof f === 'string')) {
      throw corrupt(path, 'header field list is malformed');
    }
    return { entity: item.entity, fields: item.fields as string[] };
  });
}

function validateCursors(value: Record<string, unknown>, path: string): Record<string, EntityCursor> {
  const cursors: Record<string, EntityCursor> = {};
  for (const [entity, cursor] of Object.entries(value)) {
    if (isObject(cursor) && cursor.kind === 'delta' && typeof cursor.link === 'string') cursors[entity] = { kind: 'delta', link: cursor.link };
    else if (isObject(cursor) && cursor.kind === 'modifiedon' && typeof cursor.since === 'string') cursors[entity] = { kind: 'modifiedon', since: cursor.since };
    else throw corrupt(path, `cursor of ${entity} is malformed`);
  }
  return cursors;
}

function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corrupt(path, `${what} is not JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function corrupt(path: string, why: string): DirectoryError {
  return new DirectoryError('snapshot-corrupt', `phone directory snapshot ${path}: ${why}`);
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable; some platforms (Windows) cannot open a directory.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}
