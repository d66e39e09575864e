// Phone icons next to the configured phone fields of account, contact, lead
// and phone call forms. The form is reached through `FormFields`, which the
// Dynamics adapter and the test harness each provide.
import { PHONE_FIELDS } from '../schema-names.ts';
import type { Strings } from '../i18n.ts';
import { h } from './dom.ts';

export interface FormField {
  name: string;
  value(): string | null;
  /** Where the icon goes (right after the field). */
  anchor: Element;
}

export interface FormFields {
  entity: string;
  /** The record's id when it is saved (the dial's regarding record). */
  recordId(): string | undefined;
  field(name: string): FormField | undefined;
}

export type DialClick = (number: string, regarding: { entity: string; id: string } | undefined, at: { x: number; y: number }) => void;

/** Adds an icon to each configured phone field of the form; returns how many were added. */
export function attachPhoneIcons(doc: Document, s: Strings, form: FormFields, onDial: DialClick): number {
  let added = 0;
  for (const name of PHONE_FIELDS[form.entity] ?? []) {
    const f = form.field(name);
    if (f === undefined || f.anchor.parentElement?.querySelector(`[data-ctapi-phone="${name}"]`)) continue;
    const icon = h(doc, 'button', { class: 'ctapi-phone', type: 'button', title: s.dial, 'aria-label': `${s.dial} ${name}`, 'data-ctapi-phone': name, 'data-testid': `phone-${name}` }, '\u260E');
    icon.addEventListener('click', (e) => {
      const number = f.value()?.trim();
      if (!number) return;
      const id = form.recordId();
      onDial(number, id === undefined ? undefined : { entity: form.entity, id }, { x: e.clientX, y: e.clientY });
    });
    f.anchor.after(icon);
    added += 1;
  }
  return added;
}
