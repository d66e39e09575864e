// What the client needs from the CRM, behind one small interface: inside
// Dynamics it is `Xrm` (xrm.ts), in the stand-alone panel the Web API with a
// token from the browser sign-in (webapi.ts). Entities go by logical name,
// as Xrm.WebApi takes them.

export interface CrmUser {
  id: string;
  name: string;
  /** usersettings.uilanguageid (1031 German, 1033 English). */
  uiLanguageId?: number;
  organisation?: string;
}

export interface CrmHost {
  currentUser(): Promise<CrmUser>;
  /** `options` is an OData query string starting with `?` ($select, $filter …). */
  retrieveMultiple(entity: string, options: string): Promise<Record<string, unknown>[]>;
  /** Creates a record as the signed-in user; resolves with its id. */
  createRecord(entity: string, data: Record<string, unknown>): Promise<string>;
  /**
   * Creates a record under a chosen id as the signed-in user (so they own
   * it); a record that already has that id counts as success ('exists').
   */
  createRecordWithId(entity: string, id: string, data: Record<string, unknown>): Promise<'created' | 'exists'>;
  openRecord(entity: string, id: string): void;
  /** Opens a new, unsaved form prefilled with `parameters`. */
  openNewForm(entity: string, parameters: Record<string, string>): void;
}

/** Primary key attribute of an entity: activities share `activityid`. */
export function primaryKeyOf(entity: string): string {
  return entity === 'phonecall' ? 'activityid' : `${entity}id`;
}

/** Dataverse's "Cannot insert duplicate key" (-2147220937, 0x80040237): the id is taken. */
export const DUPLICATE_RECORD = -2147220937;

/** Lower-case GUID without braces, as the protocol and the Web API compare them. */
export function bareGuid(id: string): string {
  return id.replace(/[{}]/g, '').toLowerCase();
}
