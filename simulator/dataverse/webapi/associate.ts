// Associating and disassociating security roles, as an administrator does
// after an import (give the manager's account and the agents their roles):
//   POST   systemusers(id)/systemuserroles_association/$ref  {"@odata.id": ".../roles(id)"}
//   DELETE systemusers(id)/systemuserroles_association(roleid)/$ref
// and the same for teams with teamroles_association. The intersect rows
// (systemuserroles, teamroles) have no entity set a client may write; this is
// the only way in, as in Dataverse. The caller needs Write on the user or team
// and Read on the role (the privilege-escalation check of a real org is not
// simulated: see docs/simulated-dataverse.md).
import { randomUUID } from 'node:crypto';
import { DV, ODataError } from '../errors.ts';
import { isGuid } from '../records.ts';
import { notFound } from '../writes.ts';
import { odataHeaders, type WebApiContext } from './context.ts';

interface RoleRelationship {
  readonly principal: string;
  readonly intersect: string;
  readonly principalKey: string;
}

/** Relationship name → the principal's table and the intersect table that holds the pairs. */
const RELATIONSHIPS: Readonly<Record<string, RoleRelationship>> = {
  systemuserroles_association: { principal: 'systemuser', intersect: 'systemuserroles', principalKey: 'systemuserid' },
  teamroles_association: { principal: 'team', intersect: 'teamroles', principalKey: 'teamid' },
};

const PATH = /^([A-Za-z_]+)\(([^)]*)\)\/([A-Za-z_]+)(?:\(([^)]*)\))?\/\$ref$/;

/** Whether `rest` is an association path (`set(id)/relationship[(id)]/$ref`). */
export function isAssociation(rest: string): boolean {
  return PATH.test(rest);
}

function roleIdFrom(reference: unknown): string {
  const text = typeof reference === 'string' ? reference : '';
  const id = /roles\(([0-9a-fA-F-]{36})\)\/?$/.exec(text)?.[1];
  if (id === undefined) throw new ODataError(400, DV.badRequestSyntax, `The @odata.id '${text}' does not name a role (expected …/roles(<guid>)).`);
  return id.toLowerCase();
}

async function referenceOf(request: Request, url: URL): Promise<unknown> {
  if (request.method.toUpperCase() === 'DELETE') return url.searchParams.get('$id') ?? undefined;
  let body: unknown;
  try {
    body = JSON.parse((await request.text()) || '{}');
  } catch {
    throw new ODataError(400, DV.badRequestSyntax, 'The request body is not valid JSON.');
  }
  return (body as Record<string, unknown> | null)?.['@odata.id'];
}

export async function handleAssociation(ctx: WebApiContext, request: Request, url: URL, rest: string): Promise<Response> {
  const method = request.method.toUpperCase();
  const [, set = '', key = '', name = '', inner] = PATH.exec(rest) ?? [];
  const relationship = RELATIONSHIPS[name];
  const principal = ctx.metadata.entityBySet(set);
  if (relationship === undefined || principal?.logicalName !== relationship.principal) {
    throw new ODataError(400, DV.badRequestSyntax, `'${name}' is not a collection-valued navigation property of '${set}' that this organisation can associate.`);
  }
  if (method !== 'POST' && method !== 'DELETE') throw new ODataError(405, DV.badRequestSyntax, `${method} is not allowed on a $ref; use POST (associate) or DELETE (disassociate).`);
  if (!isGuid(key)) throw new ODataError(400, DV.badRequestSyntax, `Bad Request - Error in query syntax: invalid key '${key}'.`);
  const principalId = key.toLowerCase();
  const role = ctx.metadata.entity('role');
  if (role === undefined) throw new ODataError(500, DV.unexpected, 'the organisation has no role table');
  const roleId = inner !== undefined && isGuid(inner) ? inner.toLowerCase() : roleIdFrom(await referenceOf(request, url));
  ctx.writes.demand('Write', principal, ctx.actor);
  ctx.writes.demand('Read', role, ctx.actor);
  if (ctx.store.get(principal.logicalName, principalId) === undefined) throw notFound(principal, principalId);
  if (ctx.store.get('role', roleId) === undefined) throw notFound(role, roleId);
  const existing = [...ctx.store.all(relationship.intersect)].find((r) => r[relationship.principalKey] === principalId && r['roleid'] === roleId);
  const intersect = ctx.metadata.entity(relationship.intersect);
  const idAttribute = intersect?.primaryIdAttribute ?? `${relationship.intersect.replace(/s$/, '')}id`;
  ctx.store.transaction(() => {
    if (method === 'POST') {
      if (existing !== undefined) throw new ODataError(400, DV.duplicateRecord, 'Cannot insert duplicate key.');
      const id = (ctx.actor.newId ?? randomUUID)().toLowerCase();
      ctx.store.put(relationship.intersect, id, { [idAttribute]: id, [relationship.principalKey]: principalId, roleid: roleId });
    } else if (existing !== undefined) {
      ctx.store.remove(relationship.intersect, String(existing[idAttribute]), ctx.now);
    }
    // A new row version: the privilege cache of every user is rebuilt on the next request.
    ctx.store.nextVersion();
  });
  return new Response(null, { status: 204, headers: odataHeaders() });
}
