// Typed reads and writes of the CRM data the manager needs, one repository per concern.
import type { Schema } from '../schema.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { ClientSessionRepository } from './client-sessions.ts';
import { LineConfigRepository } from './line-configs.ts';
import { SettingRepository } from './settings.ts';
import { ShareRepository } from './shares.ts';
import { UserRepository } from './users.ts';

export { ClientSessionRepository, type ProvenSession, type VerifyOptions } from './client-sessions.ts';
export { RecordError, type RecordErrorCode } from './fields.ts';
export { LineConfigRepository, type DefaultRecordValues, type LineConfigRecord, type LineDialingFields, type LinePopupFields } from './line-configs.ts';
export { SettingRepository, type SettingRecord } from './settings.ts';
export { ShareRepository, type LineShare } from './shares.ts';
export { UserRepository, type TeamRecord, type UserRecord } from './users.ts';

export interface Repositories {
  readonly lineConfigs: LineConfigRepository;
  readonly users: UserRepository;
  readonly shares: ShareRepository;
  readonly sessions: ClientSessionRepository;
  readonly settings: SettingRepository;
}

export function createRepositories(api: DataverseApi, schema: Schema): Repositories {
  return {
    lineConfigs: new LineConfigRepository(api, schema),
    users: new UserRepository(api),
    shares: new ShareRepository(api, schema),
    sessions: new ClientSessionRepository(api, schema),
    settings: new SettingRepository(api, schema),
  };
}
