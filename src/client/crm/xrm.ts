// The thin adapter over Dynamics' client API (`Xrm`): the only file that
// touches it, so the same client runs against the fake Xrm of the browser
// test harness. Only the calls below are used; their shapes follow the
// documented Xrm.WebApi / Xrm.Navigation / Xrm.Utility APIs.
import { ClientError } from '../errors.ts';
import { bareGuid, DUPLICATE_RECORD, primaryKeyOf, type CrmHost, type CrmUser } from './host.ts';

export interface XrmLike {
  WebApi: {
    retrieveMultipleRecords(entity: string, options?: string): PromiseLike<{ entities: Record<string, unknown>[] }>;
    createRecord(entity: string, data: Record<string, unknown>): PromiseLike<{ id: string }>;
  };
  Navigation: {
    openForm(options: { entityName: string; entityId?: string; openInNewWindow?: boolean }, parameters?: Record<string, string>): PromiseLike<unknown>;
  };
  Utility: {
    getGlobalContext(): {
      userSettings: { userId: string; userName: string; languageId: number };
      organizationSettings?: { uniqueName?: string };
    };
  };
}

function failed(what: string, err: unknown): ClientError {
  const m = err as { message?: unknown } | undefined;
  return new ClientError('crm-request-failed', `${what}: ${typeof m?.message === 'string' ? m.message : String(err)}`, { cause: err });
}

/** Finds `Xrm` on this window or its parent (an HTML web resource runs in a frame of the form). */
export function findXrm(win: Window): XrmLike | undefined {
  const own = (win as unknown as { Xrm?: XrmLike }).Xrm;
  if (own?.WebApi !== undefined) return own;
  try {
    const parent = (win.parent as unknown as { Xrm?: XrmLike } | null)?.Xrm;
    return parent?.WebApi !== undefined ? parent : undefined;
  } catch {
    return undefined; // a parent of another origin
  }
}

export class XrmHost implements CrmHost {
  constructor(private readonly xrm: XrmLike) {}

  async currentUser(): Promise<CrmUser> {
    const ctx = this.xrm.Utility.getGlobalContext();
    const org = ctx.organizationSettings?.uniqueName;
    return { id: bareGuid(ctx.userSettings.userId), name: ctx.userSettings.userName, uiLanguageId: ctx.userSettings.languageId, ...(org ? { organisation: org } : {}) };
  }

  async retrieveMultiple(entity: string, options: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.xrm.WebApi.retrieveMultipleRecords(entity, options)).entities;
    } catch (err) {
      throw failed(`reading ${entity}`, err);
    }
  }

  async createRecord(entity: string, data: Record<string, unknown>): Promise<string> {
    try {
      return bareGuid((await this.xrm.WebApi.createRecord(entity, data)).id);
    } catch (err) {
      throw failed(`creating ${entity}`, err);
    }
  }

  async createRecordWithId(entity: string, id: string, data: Record<string, unknown>): Promise<'created' | 'exists'> {
    try {
      await this.xrm.WebApi.createRecord(entity, { ...data, [primaryKeyOf(entity)]: id });
      return 'created';
    } catch (err) {
      // Xrm.WebApi rejects with { errorCode, message }; the code is Dataverse's (negative int).
      const e = err as { errorCode?: unknown; message?: unknown } | undefined;
      if (e?.errorCode === DUPLICATE_RECORD || e?.errorCode === DUPLICATE_RECORD >>> 0) return 'exists';
      throw failed(`creating ${entity} ${id}`, err);
    }
  }

  openRecord(entity: string, id: string): void {
    void this.xrm.Navigation.openForm({ entityName: entity, entityId: id, openInNewWindow: true });
  }

  openNewForm(entity: string, parameters: Record<string, string>): void {
    void this.xrm.Navigation.openForm({ entityName: entity, openInNewWindow: true }, parameters);
  }
}
