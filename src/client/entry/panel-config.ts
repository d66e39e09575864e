// Settings of the stand-alone panel, from its URL (the demo prints a ready
// URL; an operator bookmarks one) and remembered in localStorage, so a later
// visit needs no parameters. Every value is checked before use.
import { ClientError } from '../errors.ts';

export interface PanelConfig {
  /** Organisation URL of Dataverse, e.g. https://contoso.crm4.dynamics.com. */
  dataverse: string;
  /** Authority base, e.g. https://login.microsoftonline.com/<tenant>. */
  authority: string;
  clientId: string;
  /** The manager's WebSocket URL; default: the origin that served the panel. */
  manager?: string;
  loginHint?: string;
}

const KEY = 'crm-tapi.panel';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function httpUrl(v: string, what: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ClientError('sign-in-failed', `${what} "${v.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ClientError('sign-in-failed', `${what} must be http(s)`);
  return v.replace(/\/+$/, '');
}

export function parsePanelConfig(params: URLSearchParams, remembered: string | null): PanelConfig {
  let saved: Partial<Record<string, unknown>> = {};
  try {
    saved = JSON.parse(remembered ?? '{}') as typeof saved;
  } catch {
    // ignore a damaged entry
  }
  const pick = (key: string): string | undefined => params.get(key) ?? (typeof saved[key] === 'string' ? saved[key] : undefined);
  const dataverse = pick('dataverse');
  const authority = pick('authority');
  const clientId = pick('clientId') ?? pick('client_id');
  if (!dataverse || !authority || !clientId) throw new ClientError('sign-in-failed', 'the panel needs ?dataverse=<org URL>&authority=<sign-in authority>&clientId=<app id> once');
  if (!GUID.test(clientId)) throw new ClientError('sign-in-failed', 'clientId must be the application (client) id GUID');
  const manager = pick('manager');
  if (manager !== undefined && !/^wss?:\/\//.test(manager)) throw new ClientError('invalid-manager-url', 'manager must be a ws:// or wss:// URL');
  const loginHint = params.get('login_hint') ?? undefined;
  return { dataverse: httpUrl(dataverse, 'dataverse'), authority: httpUrl(authority, 'authority'), clientId, ...(manager ? { manager } : {}), ...(loginHint ? { loginHint: loginHint.slice(0, 256) } : {}) };
}

export function rememberPanelConfig(c: PanelConfig): string {
  return JSON.stringify({ dataverse: c.dataverse, authority: c.authority, clientId: c.clientId, ...(c.manager ? { manager: c.manager } : {}) });
}

export const PANEL_CONFIG_KEY = KEY;
