// What the Web API client publishes for metrics (node:diagnostics_channel, as
// undici does): one message per attempt. Subscribers (the manager's /metrics)
// live outside this layer; publishing costs nothing while nobody listens.
import { channel } from 'node:diagnostics_channel';

export interface DataverseAttempt {
  method: string;
  /** HTTP status, or 0 when no response came (network error, timeout). */
  status: number;
  /** The attempt failed and the request will be sent again. */
  retry: boolean;
  /** A failed attempt's error code (`unauthorized`, `throttled`, …): says why, also when no response came (a refused sign-in). */
  code?: string;
}

export const dataverseAttempts = channel('crm-tapi:dataverse:attempt');

export function publishAttempt(attempt: DataverseAttempt): void {
  if (dataverseAttempts.hasSubscribers) dataverseAttempts.publish(attempt);
}
