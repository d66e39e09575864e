// Line configuration records ("TAPI Schnittstellen"): read all three kinds,
// create the default and site records on the first connection, and one user
// line record per reported line. The manager never modifies a record after
// creating it (manual 3.2.1–3.2.3): admins own them from then on.
import { randomUUID } from 'node:crypto';
import { bindKey, bindValue, LINE_CONFIG_KIND, lookupValue, OPEN_PHONE_CALL, YES_NO, type LineConfigKind, type OpenPhoneCall, type Schema } from '../schema.ts';
import { odataString } from '../web-api/odata.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { date, guid, int, option, RecordError, text, type Row } from './fields.ts';

/** Dialing fields as typed into the record; empty = inherit (src/dialing resolves them). */
export interface LineDialingFields {
  internationalPrefix?: string;
  nationalPrefix?: string;
  countryCode?: string;
  areaCode?: string;
  baseNumber?: string;
  outsideLinePrefix?: string;
  incomingDirectionCode?: string;
  maxInternalLength?: number;
  dialLocalWithoutAreaCode?: boolean;
}

export interface LinePopupFields {
  openPhoneCallOnlyWhenConnected?: boolean;
  openPhoneCallAndRecord?: boolean;
  popupPosition?: number;
  popupDuration?: number;
  openPhoneCall?: OpenPhoneCall;
  /** phonecall attributes that get start/end resp. the duration ("Telefon Zeitfelder"). */
  phoneCallStartEndFields?: string[];
  phoneCallDurationFields?: string[];
}

export interface LineConfigRecord {
  id: string;
  kind: LineConfigKind;
  name: string;
  /** `<connector host>:<line name>` (user lines). */
  line?: string;
  lineDisplayName?: string;
  connectorHost?: string;
  userId?: string;
  parentId?: string;
  ownerId?: string;
  managerHost?: string;
  webSocketUrl?: string;
  tapiPort?: number;
  dialing: LineDialingFields;
  popup: LinePopupFields;
  createdOn?: Date;
}

export interface DefaultRecordValues {
  webSocketUrl: string;
  tapiPort: number;
  managerHost: string;
  /** Prefilled phone settings (the manual's German example: 00 / 0 / 49). */
  dialing?: Pick<LineDialingFields, 'internationalPrefix' | 'nationalPrefix' | 'countryCode'>;
}

const GERMANY = { internationalPrefix: '00', nationalPrefix: '0', countryCode: '49' };

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(/[,;\s]+/).map((s) => s.trim().toLowerCase()).filter((s) => /^[a-z0-9_]+$/.test(s));
  return items.length === 0 ? undefined : items;
}

export class LineConfigRepository {
  private readonly e: Schema['lineConfig'];

  constructor(private readonly api: DataverseApi, schema: Schema) {
    this.e = schema.lineConfig;
  }

  private select(): string[] {
    return [...Object.values(this.e.fields).filter((f) => f !== this.e.fields.user && f !== this.e.fields.parent),
      lookupValue(this.e.fields.user), lookupValue(this.e.fields.parent), '_ownerid_value', 'createdon'];
  }

  parse(row: Row): LineConfigRecord | undefined {
    const f = this.e.fields;
    const kind = option(row, f.kind, LINE_CONFIG_KIND);
    const id = guid(row, f.id);
    if (kind === undefined || id === undefined) return undefined; // not one of ours (kind emptied by hand): ignored
    const yesNo = (key: string): boolean | undefined => {
      const v = option(row, key, YES_NO);
      return v === undefined ? undefined : v === 'yes';
    };
    return {
      id,
      kind,
      name: text(row, f.name) ?? '',
      line: text(row, f.line),
      lineDisplayName: text(row, f.lineDisplayName),
      connectorHost: text(row, f.connectorHost),
      userId: guid(row, lookupValue(f.user)),
      parentId: guid(row, lookupValue(f.parent)),
      ownerId: guid(row, '_ownerid_value'),
      managerHost: text(row, f.managerHost),
      webSocketUrl: text(row, f.webSocketUrl),
      tapiPort: int(row, f.tapiPort),
      dialing: {
        internationalPrefix: text(row, f.internationalPrefix),
        nationalPrefix: text(row, f.nationalPrefix),
        countryCode: text(row, f.countryCode),
        areaCode: text(row, f.areaCode),
        baseNumber: text(row, f.baseNumber),
        outsideLinePrefix: text(row, f.outsideLinePrefix),
        incomingDirectionCode: text(row, f.incomingDirectionCode),
        maxInternalLength: int(row, f.maxInternalLength),
        dialLocalWithoutAreaCode: yesNo(f.dialLocalWithoutAreaCode),
      },
      popup: {
        openPhoneCallOnlyWhenConnected: yesNo(f.openPhoneCallOnlyWhenConnected),
        openPhoneCallAndRecord: yesNo(f.openPhoneCallAndRecord),
        popupPosition: int(row, f.popupPosition),
        popupDuration: int(row, f.popupDuration),
        openPhoneCall: option(row, f.openPhoneCall, OPEN_PHONE_CALL),
        phoneCallStartEndFields: list(text(row, f.phoneCallStartEndFields)),
        phoneCallDurationFields: list(text(row, f.phoneCallDurationFields)),
      },
      createdOn: date(row, 'createdon'),
    };
  }

  /** Every line configuration record (all kinds), oldest first. */
  async listAll(): Promise<LineConfigRecord[]> {
    const rows = await this.api.list<Row>(this.e.entitySet, { select: this.select(), orderby: `createdon asc,${this.e.fields.id} asc` });
    return rows.map((r) => this.parse(r)).filter((r): r is LineConfigRecord => r !== undefined);
  }

  async byLine(line: string): Promise<LineConfigRecord[]> {
    const f = this.e.fields;
    const rows = await this.api.list<Row>(this.e.entitySet, {
      select: this.select(),
      filter: `${f.line} eq ${odataString(line)} and ${f.kind} eq ${LINE_CONFIG_KIND.userLine}`,
      orderby: 'createdon asc',
    });
    return rows.map((r) => this.parse(r)).filter((r): r is LineConfigRecord => r !== undefined);
  }

  /**
   * Finds the default record and the first site record, creating whichever
   * is missing (manual 3.2.1/3.2.2). Existing records are left as they are.
   */
  async ensureDefaultAndSite(values: DefaultRecordValues): Promise<{ default: LineConfigRecord; site: LineConfigRecord; created: LineConfigKind[] }> {
    const all = await this.listAll();
    const created: LineConfigKind[] = [];
    const dialing = { ...GERMANY, ...values.dialing };
    let def = all.find((r) => r.kind === 'default');
    if (def === undefined) {
      const f = this.e.fields;
      def = await this.createRecord({
        [f.name]: 'Standard', [f.kind]: LINE_CONFIG_KIND.default,
        [f.webSocketUrl]: values.webSocketUrl, [f.tapiPort]: values.tapiPort, [f.managerHost]: values.managerHost,
        [f.internationalPrefix]: dialing.internationalPrefix, [f.nationalPrefix]: dialing.nationalPrefix, [f.countryCode]: dialing.countryCode,
      });
      created.push('default');
    }
    let site = all.find((r) => r.kind === 'site' && r.parentId === def.id) ?? all.find((r) => r.kind === 'site');
    if (site === undefined) {
      const f = this.e.fields;
      site = await this.createRecord({
        [f.name]: 'Standort', [f.kind]: LINE_CONFIG_KIND.site, [bindKey(f.parent)]: bindValue(this.e.entitySet, def.id),
        [f.internationalPrefix]: dialing.internationalPrefix, [f.nationalPrefix]: dialing.nationalPrefix, [f.countryCode]: dialing.countryCode,
        [f.maxInternalLength]: 3,
      });
      created.push('site');
    }
    return { default: def, site, created };
  }

  /**
   * The user line records of `<connectorHost>:<lineName>`; when there is none
   * yet, one is created under `siteId` (name and line = the line id). An `id`
   * derived from the line makes two managers racing on one line create one
   * record between them (a create-only upsert of the same key).
   */
  async ensureUserLine(connectorHost: string, lineName: string, siteId: string, displayName?: string, id?: string): Promise<{ records: LineConfigRecord[]; created: boolean }> {
    const line = `${connectorHost}:${lineName}`;
    const existing = await this.byLine(line);
    if (existing.length > 0) return { records: existing, created: false };
    const f = this.e.fields;
    const record = await this.createRecord({
      [f.name]: line, [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: line, [f.connectorHost]: connectorHost,
      ...(displayName === undefined ? {} : { [f.lineDisplayName]: displayName }),
      [bindKey(f.parent)]: bindValue(this.e.entitySet, siteId),
    }, id);
    return { records: [record], created: true };
  }

  private async createRecord(body: Record<string, unknown>, id: string = randomUUID()): Promise<LineConfigRecord> {
    // A client-chosen id makes the create safe to repeat after a lost answer.
    await this.api.createIfAbsent(this.e.entitySet, id, body);
    const row = await this.api.retrieve<Row>(this.e.entitySet, id, this.select());
    const parsed = row === null ? undefined : this.parse(row);
    if (parsed === undefined) throw new RecordError('invalid-record', `line configuration ${id} was created but cannot be read back`);
    return parsed;
  }
}
