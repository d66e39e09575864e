// Standard Dataverse tables and fields the bridge reads or writes. Their
// names are fixed by Microsoft (part of the schema module; re-exported from
// schema.ts).

export const STANDARD = {
  account: { entitySet: 'accounts', primaryId: 'accountid', primaryName: 'name', phoneFields: ['telephone1', 'telephone2', 'telephone3'] },
  contact: {
    entitySet: 'contacts', primaryId: 'contactid', primaryName: 'fullname',
    phoneFields: ['telephone1', 'telephone2', 'telephone3', 'mobilephone', 'business2', 'home2', 'assistantphone'],
  },
  lead: { entitySet: 'leads', primaryId: 'leadid', primaryName: 'fullname', phoneFields: ['telephone1', 'telephone2', 'telephone3', 'mobilephone'] },
  systemuser: {
    entitySet: 'systemusers', primaryId: 'systemuserid', primaryName: 'fullname',
    fields: {
      fullName: 'fullname', domainName: 'domainname', entraObjectId: 'azureactivedirectoryobjectid',
      isDisabled: 'isdisabled', applicationId: 'applicationid', email: 'internalemailaddress',
    },
    /** Collection navigation from a user to its security roles. */
    rolesNavigation: 'systemuserroles_association',
    teamsNavigation: 'teammembership_association',
  },
  team: { entitySet: 'teams', primaryId: 'teamid', primaryName: 'name', rolesNavigation: 'teamroles_association' },
  role: { entitySet: 'roles', primaryId: 'roleid', primaryName: 'name' },
  /** Intersect entity of team membership: plain id attributes, not lookups. */
  teammembership: { entitySet: 'teammemberships', primaryId: 'teammembershipid', fields: { userId: 'systemuserid', teamId: 'teamid' } },
  /** Sharing ("Freigabe"): one row per record shared with a user or team. */
  principalobjectaccess: {
    entitySet: 'principalobjectaccessset', primaryId: 'principalobjectaccessid',
    fields: {
      principalId: 'principalid', principalTypeCode: 'principaltypecode', objectId: 'objectid',
      objectTypeCode: 'objecttypecode', accessRightsMask: 'accessrightsmask', inheritedAccessRightsMask: 'inheritedaccessrightsmask',
    },
    /** AccessRights.ReadAccess. */
    readAccess: 1,
  },
  usersettings: { entitySet: 'usersettingscollection', primaryId: 'systemuserid', fields: { uiLanguageId: 'uilanguageid', localeId: 'localeid' } },
  phonecall: {
    entitySet: 'phonecalls', primaryId: 'activityid', primaryName: 'subject',
    fields: {
      subject: 'subject', phoneNumber: 'phonenumber', directionCode: 'directioncode', description: 'description',
      regarding: 'regardingobjectid', actualStart: 'actualstart', actualEnd: 'actualend',
      actualDurationMinutes: 'actualdurationminutes', scheduledStart: 'scheduledstart', scheduledEnd: 'scheduledend',
      scheduledDurationMinutes: 'scheduleddurationminutes', owner: 'ownerid',
    },
    /** directioncode is a two-options attribute: true = outgoing, false = incoming (Dataverse defaults to outgoing). */
    directionOutgoing: true,
    partiesNavigation: 'phonecall_activity_parties',
  },
  activityparty: {
    fields: { participationTypeMask: 'participationtypemask', party: 'partyid' },
    /** ActivityParty participation types: 1 = sender (From), 2 = to recipient (To). */
    participation: { from: 1, to: 2 },
  },
  organization: { entitySet: 'organizations', primaryId: 'organizationid', primaryName: 'name' },
} as const;

// Administrators of the bridge are recognised by role ids, not these names (solution/model.ts).
export const USER_ROLE_NAME = 'TapiInterface User';
export const MANAGER_ROLE_NAME = 'TapiManager Account';

/** `regardingobjectid_<entity>_phonecall@odata.bind` — the regarding lookup is polymorphic. */
export function phoneCallRegardingBind(entity: string): string {
  return `regardingobjectid_${entity}_phonecall@odata.bind`;
}

/** `partyid_<entity>@odata.bind` for an activity party. */
export function activityPartyBind(entity: string): string {
  return `partyid_${entity}@odata.bind`;
}

/** Entity set name for a standard entity we know, else undefined. */
export function standardEntitySet(logicalName: string): string | undefined {
  const entry = (STANDARD as Record<string, { entitySet?: string }>)[logicalName];
  return entry?.entitySet;
}
