// The lab: Kamailio on 127.0.0.1 as the PBX and baresip phones registered as
// its extensions, every port free at start, every file in temporary
// directories, everything ended by PID. The phones are left uncontrolled, so
// a developer (or `crm-tapi lab call`) can drive them through their ctrl_tcp
// ports — ctrl_tcp serves one client at a time.
import { existsSync } from 'node:fs';
import { DEFAULT_BARESIP, spawnBaresip } from '../connector/providers/sip/baresip-process.ts';
import type { BaresipProcess } from '../connector/providers/sip/baresip-process.ts';
import { DEFAULT_KAMAILIO, GATEWAY_USER, LabError, startKamailio } from './kamailio.ts';
import type { RunningKamailio } from './kamailio.ts';

/** Registration refresh of lab phones: short, so a restarted registrar knows them again within seconds. */
export const LAB_REGINT = 4;
/** The number the lab's trunk presents for an external caller: the seeded contact Jan de Vries (+31 20 794 5011). */
export const LAB_EXTERNAL_CALLER = '0031207945011';

export interface LabPhone {
  /** The users of its accounts: an extension, or the trunk's `gateway` and external caller. */
  readonly users: readonly string[];
  readonly pid: number;
  readonly ctrlPort: number;
  readonly sipPort: number;
}

export interface LabOptions {
  readonly extensions: readonly string[];
  /** Extensions someone else registers (the bridge's connector drives 25 with its own baresip). */
  readonly driven?: readonly string[];
  readonly baresip?: string;
  readonly kamailio?: string;
}

export interface Lab {
  readonly kamailio: RunningKamailio;
  readonly phones: readonly LabPhone[];
  /** The account line of an extension on this lab's registrar. */
  account(user: string): string;
  stop(): Promise<void>;
}

export function labAccount(user: string, domain: string): string {
  return `<sip:${user}@${domain}>;regint=${LAB_REGINT}`;
}

/**
 * Where the lab finds its programs: Debian's paths, unless `CRM_TAPI_BARESIP`
 * or `CRM_TAPI_KAMAILIO` name others (a build of your own, another distribution).
 */
export function labPrograms(env: NodeJS.ProcessEnv = process.env): { baresip: string; kamailio: string } {
  const given = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
  return { baresip: given(env.CRM_TAPI_BARESIP) ?? DEFAULT_BARESIP, kamailio: given(env.CRM_TAPI_KAMAILIO) ?? DEFAULT_KAMAILIO };
}

/** Says what is missing and how to install it, or nothing. */
export function missingPrograms(o: { baresip?: string; kamailio?: string } = {}): string[] {
  const { baresip, kamailio } = { ...labPrograms(), ...o };
  const out: string[] = [];
  if (!existsSync(baresip)) out.push(`baresip (${baresip}): apt-get install --no-install-recommends baresip-core`);
  if (!existsSync(kamailio)) out.push(`kamailio (${kamailio}): apt-get install --no-install-recommends kamailio`);
  return out;
}

export async function startLab(options: LabOptions): Promise<Lab> {
  const programs = { ...labPrograms(), ...options };
  const missing = missingPrograms(programs);
  if (missing.length > 0) throw new LabError('missing-program', `the lab needs ${missing.join('; ')}`);
  const kamailio = await startKamailio({ binary: programs.kamailio });
  const running: { users: string[]; proc: BaresipProcess }[] = [];
  const stop = async () => {
    await Promise.all(running.map((p) => p.proc.stop()));
    await kamailio.stop();
  };
  try {
    const groups = [...options.extensions.filter((e) => !(options.driven ?? []).includes(e)).map((e) => [e]), [GATEWAY_USER, LAB_EXTERNAL_CALLER]];
    for (const users of groups) {
      const proc = await spawnBaresip({ binary: programs.baresip, accounts: users.map((u) => labAccount(u, kamailio.domain)) });
      running.push({ users, proc });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kamailio,
    phones: running.map((p) => ({ users: p.users, pid: p.proc.pid, ctrlPort: p.proc.ctrlPort, sipPort: p.proc.sipPort })),
    account: (user) => labAccount(user, kamailio.domain),
    stop,
  };
}
