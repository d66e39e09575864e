// Public surface of src/dataverse (the phone directory and the outbox have their own modules).
export * from './schema.ts';
export { connect, type Connection, type ConnectOptions } from './connection.ts';
export {
  connectionConfigSchema, parseConnectionConfig, serviceUrl, webApiUrl, webApiVersion, CRM_TYPES,
  type ConnectionConfig, type CrmType,
} from './connection-config.ts';
export { resolveSecret } from '../config/secret.ts';
export { DataverseClient, realClock, type DataverseClientOptions } from './web-api/client.ts';
export { AuthError, DataverseError, type DataverseErrorCode } from './web-api/errors.ts';
export { odataGuid, odataString, normalizeGuid, isGuid } from './web-api/odata.ts';
export type * from './web-api/types.ts';
export { BearerAuth, staticTokenSource, type AccessToken, type TokenSource } from './auth/bearer.ts';
export { NtlmAuth } from './auth/ntlm.ts';
export * from './repositories/index.ts';
