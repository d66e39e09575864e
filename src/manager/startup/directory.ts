// The phone directory as the manager runs it: phone fields from the CRM's
// IncallPhoneFields setting, CRM numbers keyed with the default record's
// dialing settings, a snapshot in DataDir so lookups work before the first
// refresh, and the refresh schedule of the manual (interval and daily time,
// re-read on every run, so both are live keys).
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../dataverse/directory/clock.ts';
import { DataverseDirectorySource } from '../../dataverse/directory/dataverse-source.ts';
import { dialingKeys } from '../../dataverse/directory/dialing-keys.ts';
import { PhoneDirectory } from '../../dataverse/directory/directory.ts';
import { phoneFieldsFromSetting, DEFAULT_PHONE_FIELDS, type EntityPhoneFields } from '../../dataverse/directory/phone-fields.ts';
import { RefreshScheduler } from '../../dataverse/directory/scheduler.ts';
import type { LineConfigRecord, Repositories } from '../../dataverse/repositories/index.ts';
import type { DataverseApi } from '../../dataverse/web-api/types.ts';
import { effectiveSettings, type EffectiveDialingSettings } from '../../dialing/index.ts';
import type { ManagerConfig } from '../config/load.ts';

export interface RunningDirectory {
  directory: PhoneDirectory<EffectiveDialingSettings>;
  scheduler: RefreshScheduler;
  refreshNow(): Promise<{ numbers: number }>;
}

export const SNAPSHOT_FILE = 'phone-directory.snapshot';

/** Settings a default record without own values still yields (the manual's German example). */
const FALLBACK_DIALING = { internationalPrefix: '00', nationalPrefix: '0', countryCode: '49' };

export function defaultDialingSettings(record: LineConfigRecord, logger: Logger): EffectiveDialingSettings {
  const outcome = effectiveSettings(record.dialing);
  if (outcome.ok) return outcome.settings;
  logger.error({ code: outcome.error.code }, `the default record's phone settings are unusable (${outcome.error.message}); numbers are keyed with 00/0/49 until it is fixed and the manager restarted`);
  const fallback = effectiveSettings(FALLBACK_DIALING);
  if (!fallback.ok) throw fallback.error;
  return fallback.settings;
}

async function phoneFields(repositories: Repositories, logger: Logger): Promise<EntityPhoneFields[]> {
  try {
    return phoneFieldsFromSetting(await repositories.settings.incallPhoneFields());
  } catch (err) {
    logger.warn({ code: (err as { code?: unknown }).code }, `IncallPhoneFields cannot be used (${(err as Error).message}); the standard phone fields are read`);
    return [...DEFAULT_PHONE_FIELDS];
  }
}

/**
 * Loads the snapshot (or, without one, builds the directory once) and arms
 * the schedule. A failed first build is logged and retried by the schedule:
 * a caller unknown for a while is better than no telephony at all.
 */
export async function startDirectory(options: {
  api: DataverseApi;
  repositories: Repositories;
  defaultRecord: LineConfigRecord;
  config: () => ManagerConfig;
  logger: Logger;
  /** Runs after every scheduled or requested refresh (the line records are re-read with the numbers). */
  afterRefresh?: () => Promise<void>;
  /** Wall time and its timers (the manager clock's `wallTimers`); default the system's. */
  clock?: Clock;
}): Promise<RunningDirectory> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const directory = new PhoneDirectory<EffectiveDialingSettings>({
    fields: await phoneFields(options.repositories, logger),
    keys: dialingKeys(defaultDialingSettings(options.defaultRecord, logger)),
    source: new DataverseDirectorySource(options.api),
    snapshotPath: join(options.config().DataDir, SNAPSHOT_FILE),
    logger,
    now: () => clock.now(),
  });
  const scheduler = new RefreshScheduler({
    clock,
    refresh: async (kind) => {
      const report = await directory.refresh(kind);
      await options.afterRefresh?.();
      return report;
    },
    settings: () => {
      const c = options.config();
      return { intervalSeconds: c.RefreshTelephoneNumberIntervall, dailyTime: c.RefreshTelephoneNumberTime, timeZone: c.TimeZone };
    },
    onError: (kind, err) => logger.error({ kind, code: (err as { code?: unknown }).code }, `phone directory ${kind} refresh failed: ${(err as Error).message}`),
  });
  if (await directory.loadSnapshot()) {
    scheduler.start('incremental');
  } else {
    try {
      await directory.refresh('full');
    } catch (err) {
      logger.error({ code: (err as { code?: unknown }).code }, `the first phone directory build failed (${(err as Error).message}); callers stay unknown until a refresh succeeds`);
    }
    scheduler.start();
  }
  return {
    directory,
    scheduler,
    async refreshNow() {
      await scheduler.requestNow('incremental');
      return { numbers: directory.status().keys };
    },
  };
}
