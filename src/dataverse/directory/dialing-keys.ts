// The dialing rules (src/dialing) as directory keys. CRM numbers are
// normalised with the default record's settings; callers with their line's.
import { directoryKey, matchKeys, normalizeCrmNumber, normalizeIncoming, type EffectiveDialingSettings } from '../../dialing/index.ts';
import type { NumberKeys } from './number-keys.ts';

export function dialingKeys(defaultSettings: EffectiveDialingSettings): NumberKeys<EffectiveDialingSettings> {
  return {
    crmKey(typed) {
      const n = normalizeCrmNumber(typed, defaultSettings);
      return n.ok ? directoryKey(n) : undefined;
    },
    incomingKeys(callerNumber, line) {
      const n = normalizeIncoming(callerNumber, line);
      return n.ok ? matchKeys(n, line) : [];
    },
    // Key order is fixed by the settings interface, so equal settings give equal text.
    fingerprint: JSON.stringify(defaultSettings),
    recipe: { module: import.meta.url, exportName: 'dialingKeys', argument: defaultSettings },
  };
}
