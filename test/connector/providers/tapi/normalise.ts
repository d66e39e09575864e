// Two providers' event streams made comparable: the differential tests of the
// tapi provider against the simulator provider (scenarios, and call-control
// sequences) compare them after this.
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';

/**
 * Ids renamed by order of first mention; free-text reasons replaced by their
 * event type. A line's call controls are compared too: the fake TSP's address
 * caps are what the simulated PBX line offers, and the tapi provider reads
 * them back into the same controls.
 */
export function normalise(events: readonly ProviderEvent[]): unknown[] {
  const ids = new Map<string, string>();
  const id = (value: string) => {
    if (!ids.has(value)) ids.set(value, `call${ids.size + 1}`);
    return ids.get(value) as string;
  };
  return events.map((event) => {
    switch (event.type) {
      case 'call':
        return {
          ...event,
          callId: id(event.callId),
          ...(event.relatedCallId === undefined ? {} : { relatedCallId: id(event.relatedCallId) }),
          ...(event.consultationOf === undefined ? {} : { consultationOf: id(event.consultationOf) }),
        };
      case 'lineAdded':
        return { ...event, line: { ...event.line, permanentId: '*' } };
      case 'reinitRequired':
      case 'providerDown':
        return { ...event, reason: '*' };
      default:
        return event;
    }
  });
}
