// What the numbering-plan metadata of libphonenumber-js knows about a calling
// code: whether it exists and which prefixes its main country dials. Used to
// fill in an unset international or national prefix, so a settings record
// with only "countryCode: 49" already behaves like a German PBX.
import { Metadata } from 'libphonenumber-js/max';

// The published typings of Metadata are narrower than the class: at run time
// selectNumberingPlan also accepts a calling code and the plan exposes its
// national prefix. We use exactly these two, checked by the tests.
interface RuntimePlan {
  IDDPrefix(): unknown;
  defaultIDDPrefix(): unknown;
  nationalPrefix(): unknown;
}
interface RuntimeMetadata {
  getCountryCodesForCallingCode(callingCode: string): readonly string[] | undefined;
  selectNumberingPlan(callingCodeOrCountry: string): unknown;
  numberingPlan?: RuntimePlan;
}

export interface CallingCodePlan {
  /** The prefix dialled before a country code, e.g. "00" or "011". */
  readonly internationalPrefix: string;
  /** The trunk prefix, e.g. "0" or "1"; empty where the country has none. */
  readonly nationalPrefix: string;
}

const cache = new Map<string, CallingCodePlan | null>();
const metadata = new Metadata() as unknown as RuntimeMetadata;

const digitsOrEmpty = (value: unknown): string => (typeof value === 'string' && /^\d+$/.test(value) ? value : '');

/**
 * The main country's prefixes for a calling code, or undefined if no country
 * has that code (non-geographic codes such as 800 are no home country either).
 */
export function callingCodePlan(callingCode: string): CallingCodePlan | undefined {
  const cached = cache.get(callingCode);
  if (cached !== undefined) return cached ?? undefined;
  let plan: CallingCodePlan | null = null;
  if (/^[1-9]\d{0,2}$/.test(callingCode) && metadata.getCountryCodesForCallingCode(callingCode) !== undefined) {
    metadata.selectNumberingPlan(callingCode);
    const p = metadata.numberingPlan;
    if (p) {
      // IDDPrefix may be a pattern ("0(?:0|11)"); the default IDD prefix is then the one to dial.
      const idd = digitsOrEmpty(p.IDDPrefix()) || digitsOrEmpty(p.defaultIDDPrefix());
      plan = { internationalPrefix: idd, nationalPrefix: digitsOrEmpty(p.nationalPrefix()) };
    }
  }
  cache.set(callingCode, plan);
  return plan ?? undefined;
}
