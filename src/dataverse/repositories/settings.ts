// Setting records ("Konfiguration"): a name and a typed value (text, two
// options or whole number, per "Datentyp"). Read by name; IncallPhoneFields
// lists extra phone fields for the directory.
import { SETTING_DATA_TYPE, SETTING_NAMES, type Schema, type SettingDataType } from '../schema.ts';
import { DataverseError } from '../web-api/errors.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { bool, guid, int, option, text, type Row } from './fields.ts';

export interface SettingRecord {
  id: string;
  name: string;
  application?: string;
  dataType?: SettingDataType;
  value: string | boolean | number | undefined;
}

export class SettingRepository {
  private readonly e: Schema['setting'];

  constructor(private readonly api: DataverseApi, schema: Schema) {
    this.e = schema.setting;
  }

  private parse(row: Row): SettingRecord | undefined {
    const f = this.e.fields;
    const id = guid(row, f.id);
    const name = text(row, f.name);
    if (id === undefined || name === undefined) return undefined;
    const dataType = option(row, f.dataType, SETTING_DATA_TYPE);
    // The typed field the data type names wins; without a type, the first one set.
    const byType = { text: text(row, f.textValue), twoOptions: bool(row, f.booleanValue), integer: int(row, f.integerValue) };
    const value = dataType !== undefined ? byType[dataType] : (byType.text ?? byType.twoOptions ?? byType.integer);
    return { id, name, application: text(row, f.application), dataType, value };
  }

  async all(): Promise<SettingRecord[]> {
    const rows = await this.api.list<Row>(this.e.entitySet, { select: Object.values(this.e.fields).filter((n) => n !== this.e.fields.parent) });
    return rows.map((r) => this.parse(r)).filter((s): s is SettingRecord => s !== undefined);
  }

  /** A setting by name (names compare case-insensitively, as operators type them). */
  async get(name: string): Promise<SettingRecord | undefined> {
    return (await this.all()).find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  /** The raw `IncallPhoneFields` text (the directory parses and validates it), undefined when unset. */
  async incallPhoneFields(): Promise<string | undefined> {
    const s = await this.get(SETTING_NAMES.incallPhoneFields);
    return typeof s?.value === 'string' ? s.value : undefined;
  }

  /**
   * Creates the setting records the manual lists when they are missing (a solution carries
   * no data rows): WriteConfigLog = no, IncallPhoneFields empty. Create-only by the name's
   * alternate key, so two managers starting together create each record once.
   */
  async ensureDefaults(): Promise<string[]> {
    const f = this.e.fields;
    const have = new Set((await this.all()).map((x) => x.name.toLowerCase()));
    const wanted: Record<string, unknown>[] = [
      { [f.name]: SETTING_NAMES.writeConfigLog, [f.dataType]: SETTING_DATA_TYPE.twoOptions, [f.booleanValue]: false },
      { [f.name]: SETTING_NAMES.incallPhoneFields, [f.dataType]: SETTING_DATA_TYPE.text },
    ];
    const created: string[] = [];
    for (const body of wanted) {
      const name = String(body[f.name]);
      if (have.has(name.toLowerCase())) continue;
      try {
        await this.api.upsert(this.e.entitySet, { [f.name]: name }, { ...body, [f.application]: 'CRM TAPI Schnittstelle' }, { createOnly: true });
        created.push(name);
      } catch (err) {
        if (!(err instanceof DataverseError && err.code === 'precondition-failed')) throw err;
      }
    }
    return created;
  }
}
