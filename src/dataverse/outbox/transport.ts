// How a write reaches Dataverse: a create-only upsert by the id the outbox
// chose (`PATCH <set>(<id>)` with `If-None-Match: *`). Repeating it can never
// create a second record: once the record exists the answer is 412, which the
// client reports as 'exists'. A write with `ifExists` then updates those
// fields of the existing record (`If-Match: *`, so it never creates one).
import type { DataverseApi } from '../web-api/types.ts';
import type { OutboxWrite } from './store.ts';

export interface OutboxTransport {
  /** Resolves when the record exists in Dataverse; throws the client's DataverseError otherwise. */
  deliver(write: OutboxWrite): Promise<'created' | 'exists'>;
}

export function dataverseTransport(api: Pick<DataverseApi, 'createIfAbsent' | 'update'>): OutboxTransport {
  return {
    deliver: async (write) => {
      const options = write.onBehalfOf === undefined ? {} : { onBehalfOf: write.onBehalfOf };
      const outcome = await api.createIfAbsent(write.entitySet, write.id, write.body, options);
      if (outcome === 'exists' && write.ifExists !== undefined && Object.keys(write.ifExists).length > 0) {
        await api.update(write.entitySet, write.id, write.ifExists, options);
      }
      return outcome;
    },
  };
}
