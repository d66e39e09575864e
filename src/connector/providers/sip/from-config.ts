// The `[Provider] Kind = "sip"` table of the connector configuration turned
// into a SipLineProvider: the one function the CLI, the lab and the tests use.
import type { Logger } from 'pino';
import { SipLineProvider } from './provider.ts';

export interface SipProviderConfig {
  readonly Kind: 'sip';
  readonly Phones: readonly { readonly Accounts: readonly string[]; readonly Control?: string }[];
  readonly Baresip?: string;
  readonly ModulePath?: string;
  readonly SipAddress?: string;
}

export function sipProviderFromConfig(config: SipProviderConfig, log?: Logger): SipLineProvider {
  return new SipLineProvider({
    phones: config.Phones.map((phone) => {
      const control = phone.Control === undefined ? undefined : /^(.*):(\d+)$/.exec(phone.Control);
      return { accounts: phone.Accounts, ...(control ? { control: { host: control[1] as string, port: Number(control[2]) } } : {}) };
    }),
    ...(config.Baresip !== undefined ? { binary: config.Baresip } : {}),
    ...(config.ModulePath !== undefined ? { modulePath: config.ModulePath } : {}),
    ...(config.SipAddress !== undefined ? { host: config.SipAddress } : {}),
    // Account lines may carry auth_pass: only AORs and line names reach the log.
    log: (level, message, fields) => log?.[level](fields ?? {}, `sip: ${message}`),
  });
}
