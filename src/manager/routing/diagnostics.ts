// What call routing publishes for metrics (node:diagnostics_channel): one
// message per call notification sent to a client, with the manager's
// monotonic time (performance.now()) at which the connector's event arrived,
// so a subscriber measures event received → notification sent; with the
// call's key and state, so a bench can follow one popup through its stages.
import { channel } from 'node:diagnostics_channel';

export interface NotificationSent {
  receivedAt: number;
  callKey: string;
  state: string;
}

export const notificationsSent = channel('crm-tapi:manager:notification-sent');
