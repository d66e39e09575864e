// Line sharing ("Freigabe", manual 3.2.4.1): admins share line records with
// users or teams through CRM sharing. Dataverse keeps each share as a
// principalobjectaccess row; a line counts as shared with a user when the
// user or one of the user's teams has read access to it.
import { lookupValue, STANDARD, type Schema } from '../schema.ts';
import { odataGuid, odataString } from '../web-api/odata.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { guid, int, text, type Row } from './fields.ts';

export interface LineShare {
  lineId: string;
  principalId: string;
  principalType: 'systemuser' | 'team';
  accessRightsMask: number;
}

const P = STANDARD.principalobjectaccess;

export class ShareRepository {
  private readonly objectType: string;

  constructor(private readonly api: DataverseApi, schema: Schema) {
    this.objectType = schema.lineConfig.logicalName;
  }

  private parse(row: Row): LineShare | undefined {
    const lineId = guid(row, lookupValue(P.fields.objectId));
    const principalId = guid(row, lookupValue(P.fields.principalId));
    const type = text(row, P.fields.principalTypeCode);
    if (lineId === undefined || principalId === undefined || (type !== 'systemuser' && type !== 'team')) return undefined;
    const mask = (int(row, P.fields.accessRightsMask) ?? 0) | (int(row, P.fields.inheritedAccessRightsMask) ?? 0);
    if ((mask & P.readAccess) === 0) return undefined;
    return { lineId, principalId, principalType: type, accessRightsMask: mask };
  }

  /** Every read share of a line configuration record. */
  async all(): Promise<LineShare[]> {
    const rows = await this.api.list<Row>(P.entitySet, {
      select: [lookupValue(P.fields.objectId), lookupValue(P.fields.principalId), P.fields.principalTypeCode, P.fields.accessRightsMask, P.fields.inheritedAccessRightsMask],
      filter: `${P.fields.objectTypeCode} eq ${odataString(this.objectType)}`,
    });
    return rows.map((r) => this.parse(r)).filter((s): s is LineShare => s !== undefined);
  }

  /** Ids of the line records shared with the user directly or with one of `teamIds`. */
  async lineIdsSharedWith(userId: string, teamIds: readonly string[]): Promise<string[]> {
    const principals = new Set([odataGuid(userId), ...teamIds.map(odataGuid)]);
    const shares = await this.all();
    return [...new Set(shares.filter((s) => principals.has(s.principalId)).map((s) => s.lineId))];
  }
}
