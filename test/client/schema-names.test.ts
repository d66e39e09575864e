import { describe, expect, it } from 'vitest';
import { createSchema, LINE_CONFIG_KIND as SERVER_KIND, OPEN_PHONE_CALL as SERVER_OPEN, lookupValue } from '../../src/dataverse/schema.ts';
import { clientSchemaNames, LINE_CONFIG_KIND, OPEN_PHONE_CALL } from '../../src/client/schema-names.ts';

describe('client schema names match src/dataverse/schema.ts', () => {
  for (const prefix of ['ctapi', 'abc12']) {
    it(`for prefix ${prefix}`, () => {
      const s = createSchema(prefix);
      const c = clientSchemaNames(prefix);
      const lf = s.lineConfig.fields;
      expect(c.lineConfig).toEqual({
        logicalName: s.lineConfig.logicalName, entitySet: s.lineConfig.entitySet, id: lf.id, kind: lf.kind, line: lf.line,
        webSocketUrl: lf.webSocketUrl, userValue: lookupValue(lf.user), parentValue: lookupValue(lf.parent),
      });
      const sf = s.clientSession.fields;
      expect(c.clientSession).toEqual({ logicalName: s.clientSession.logicalName, entitySet: s.clientSession.entitySet, name: sf.name, nonce: sf.nonce, clientInstance: sf.clientInstance });
    });
  }

  it('option values', () => {
    expect(LINE_CONFIG_KIND).toEqual(SERVER_KIND);
    expect(OPEN_PHONE_CALL).toEqual(SERVER_OPEN);
  });
});
