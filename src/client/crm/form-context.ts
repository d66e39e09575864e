// Phone fields of a Dynamics form for an HTML web resource placed on it. The
// form hands its context over (Microsoft's documented pattern: the form's
// OnLoad calls `getContentWindow()` on the web resource control and then
// `setClientApiContext(Xrm, formContext)`). The web resource cannot place
// DOM in the form's own document, so it shows one row per phone field with
// the number and the icon beside it.
import { PHONE_FIELDS } from '../schema-names.ts';
import type { FormField, FormFields } from '../ui/phone-icons.ts';
import { h } from '../ui/dom.ts';

export interface FormContextLike {
  data: { entity: { getEntityName(): string; getId(): string } };
  getAttribute(name: string): { getValue(): unknown } | null;
}

export function formFieldsFromContext(doc: Document, container: HTMLElement, ctx: FormContextLike): FormFields {
  const entity = ctx.data.entity.getEntityName();
  const fields = new Map<string, FormField>();
  for (const name of PHONE_FIELDS[entity] ?? []) {
    const attr = ctx.getAttribute(name);
    if (attr === null) continue;
    const value = (): string | null => {
      const v = attr.getValue();
      return typeof v === 'string' ? v : null;
    };
    const label = h(doc, 'span', { class: 'ctapi-field', 'data-field': name }, value() ?? '');
    container.append(h(doc, 'div', {}, label));
    fields.set(name, { name, value, anchor: label });
  }
  return {
    entity,
    recordId: () => {
      const id = ctx.data.entity.getId().replace(/[{}]/g, '').toLowerCase();
      return id === '' ? undefined : id;
    },
    field: (name) => fields.get(name),
  };
}
