// How a write reaches Dataverse: a create-only upsert by the id the outbox
// chose (`PATCH <set>(<id>)` with `If-None-Match: *`). Repeating it can never
// create a second record: once the record exists the answer is 412, which the
// client reports as 'exists'.
import type { DataverseApi } from '../web-api/types.ts';
import type { OutboxWrite } from './store.ts';

export interface OutboxTransport {
  /** Resolves when the record exists in Dataverse; throws the client's DataverseError otherwise. */
  deliver(write: OutboxWrite): Promise<'created' | 'exists'>;
}

export function dataverseTransport(api: Pick<DataverseApi, 'createIfAbsent'>): OutboxTransport {
  return {
    deliver: (write) => api.createIfAbsent(write.entitySet, write.id, write.body, write.onBehalfOf === undefined ? {} : { onBehalfOf: write.onBehalfOf }),
  };
}
