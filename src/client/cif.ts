// Channel Integration Framework 2.0: when the softphone panel is loaded as a
// CIF panel inside Dynamics 365 the host provides `Microsoft.CIFramework`
// (Microsoft's msdyn_ciLibrary.js). We then register click-to-act — a click on
// a phone field of any form raises `onclicktoact` with a JSON payload
// ({ value, name, format, entityLogicalName, entityId? }) — and dial that
// number on the user's line, docked at a softphone's width. Outside such a
// host nothing here runs. Only the calls below are used; their shapes follow
// Microsoft's CIF 2.0 reference.
import type { RegardingRef } from '../protocol/index.ts';

export interface CifLike {
  setClickToAct(value: boolean): PromiseLike<unknown>;
  /** The handler receives the event data as a JSON string and returns a promise. */
  addHandler(eventName: string, handler: (payload: string) => PromiseLike<unknown>): PromiseLike<unknown> | unknown;
  /** 0 minimised, 1 docked (CIF 2.0 also 2 hidden, 3 collapsed). */
  setMode?(mode: number): PromiseLike<unknown>;
  setWidth?(width: number): PromiseLike<unknown>;
}

export interface ClickToAct {
  number: string;
  regarding?: RegardingRef;
}

/** Docked, as a softphone panel sits beside the form. */
export const CIF_MODE_DOCKED = 1;
export const CIF_PANEL_WIDTH = 340;

const ENTITY = /^[a-z][a-z0-9_]{0,127}$/;
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

export function findCif(win: Window): CifLike | undefined {
  const cif = (win as unknown as { Microsoft?: { CIFramework?: CifLike } }).Microsoft?.CIFramework;
  return typeof cif?.setClickToAct === 'function' && typeof cif.addHandler === 'function' ? cif : undefined;
}

/** Reads an onclicktoact payload (host input: checked field by field); undefined when it names no number. */
export function parseClickToAct(payload: unknown): ClickToAct | undefined {
  let data: unknown = payload;
  if (typeof payload === 'string') {
    try {
      data = JSON.parse(payload);
    } catch {
      return undefined;
    }
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const raw = typeof d.value === 'number' ? String(d.value) : d.value;
  if (typeof raw !== 'string') return undefined;
  const number = raw.trim();
  if (number === '' || number.length > 64) return undefined;
  const entity = d.entityLogicalName;
  const id = typeof d.entityId === 'string' ? GUID.exec(d.entityId.trim())?.[1] : undefined;
  return typeof entity === 'string' && ENTITY.test(entity) && id !== undefined ? { number, regarding: { entity, id: id.toLowerCase() } } : { number };
}

export interface CifHooks {
  dial(number: string, regarding?: RegardingRef): Promise<void>;
  log: { info(text: string): void; error(text: string): void };
}

/** Registers click-to-act and docks the panel; failures of the host's calls are logged, never thrown. */
export async function registerCif(cif: CifLike, hooks: CifHooks): Promise<void> {
  const step = async (what: string, call: () => PromiseLike<unknown> | unknown): Promise<void> => {
    try {
      await call();
    } catch (err) {
      hooks.log.error(`CIF ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  await step('addHandler(onclicktoact)', () => cif.addHandler('onclicktoact', async (payload: string) => {
    const click = parseClickToAct(payload);
    if (click === undefined) {
      hooks.log.error(`CIF click-to-act without a usable number: ${String(payload).slice(0, 200)}`);
      return false;
    }
    hooks.log.info(`CIF click-to-act: ${click.number}${click.regarding ? ` (${click.regarding.entity})` : ''}`);
    await hooks.dial(click.number, click.regarding);
    return true;
  }));
  await step('setClickToAct(true)', () => cif.setClickToAct(true));
  if (cif.setMode) await step('setMode', () => cif.setMode?.(CIF_MODE_DOCKED));
  if (cif.setWidth) await step('setWidth', () => cif.setWidth?.(CIF_PANEL_WIDTH));
}
