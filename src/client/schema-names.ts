// The few Dataverse names the browser client uses, duplicated from
// src/dataverse/schema.ts because the client may not import server code
// (DESIGN.md). test/client/schema-names.test.ts keeps both equal.

/** "Tapi Typ" option values (wire facts; never renumber). */
export const LINE_CONFIG_KIND = { default: 946410000, site: 946410001, userLine: 946410002 } as const;

/** "Telefonanruf öffnen" option values: when a phone call activity is opened. */
export const OPEN_PHONE_CALL = { never: 946410000, incoming: 946410001, outgoing: 946410002, always: 946410003 } as const;

export interface ClientSchemaNames {
  lineConfig: {
    logicalName: string;
    entitySet: string;
    id: string;
    kind: string;
    line: string;
    webSocketUrl: string;
    /** `_x_value` form of the lookups, as the Web API returns them. */
    userValue: string;
    parentValue: string;
  };
  clientSession: { logicalName: string; entitySet: string; name: string; nonce: string; clientInstance: string };
}

export function clientSchemaNames(prefix = 'ctapi'): ClientSchemaNames {
  const p = prefix;
  return {
    lineConfig: {
      logicalName: `${p}_lineconfig`,
      entitySet: `${p}_lineconfigs`,
      id: `${p}_lineconfigid`,
      kind: `${p}_kind`,
      line: `${p}_line`,
      webSocketUrl: `${p}_websocketurl`,
      userValue: `_${p}_userid_value`,
      parentValue: `_${p}_parentid_value`,
    },
    clientSession: { logicalName: `${p}_clientsession`, entitySet: `${p}_clientsessions`, name: `${p}_name`, nonce: `${p}_nonce`, clientInstance: `${p}_clientinstance` },
  };
}

/** Phone fields that get a phone icon, per form entity (the manual: account, contact, lead, phone call). */
export const PHONE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  account: ['telephone1', 'telephone2', 'telephone3'],
  contact: ['telephone1', 'telephone2', 'telephone3', 'mobilephone', 'assistantphone'],
  lead: ['telephone1', 'telephone2', 'telephone3', 'mobilephone'],
  phonecall: ['phonenumber'],
};
