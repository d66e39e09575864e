// OnPremise sign-in against each way IIS "Windows authentication" can be set
// up: Negotiate + NTLM (the default), Negotiate only (SPNEGO falling back to
// NTLM), and Kerberos only, which crm-tapi cannot use and must say so. Real
// HTTP against the simulated Dataverse; the handshake runs on kept-alive
// connections as in connect.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { NtlmAuth } from '../../../src/dataverse/auth/ntlm.ts';
import { runCheck } from '../../../src/dataverse/check.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { onPremise, SERVICE } from '../support/sim.ts';

let dv: SimulatedDataverse | undefined;
let c: Connection | undefined;
afterEach(async () => {
  await c?.client.close();
  await dv?.close();
  c = undefined;
  dv = undefined;
});

async function start(authSchemes: SimulatedDataverse['settings']['authSchemes'], password = SERVICE.password): Promise<Connection> {
  dv = await startSimulatedDataverse({ port: 0, authSchemes });
  c = await connect(parseConnectionConfig(onPremise(dv, SERVICE.sam, password), 'test'), { retry: { maxAttempts: 1 } });
  return c;
}

/** The 401 challenge the server sends to a request without credentials. */
async function challengeOf(server: SimulatedDataverse): Promise<string> {
  const res = await fetch(`${server.url}/${server.orgName}/api/data/v9.1/WhoAmI`);
  await res.arrayBuffer();
  return res.headers.get('www-authenticate') ?? '';
}

describe('OnPremise sign-in per IIS Windows authentication setup', () => {
  it('Negotiate + NTLM (IIS default): NTLM on the first try, one Type 1 per handshake', async () => {
    const conn = await start(['NTLM']);
    expect(await challengeOf(dv!)).toMatch(/Negotiate.*NTLM|NTLM.*Negotiate/);
    expect((await conn.client.whoAmI()).UserId).toBe(SERVICE.id);
    const auth = conn.auth as NtlmAuth;
    expect(auth.handshakes).toBe(1);
    expect(auth.type1Sent).toBe(1);
  });

  it('Negotiate only: signs in with NTLM inside Negotiate, and the next connection starts with Negotiate', async () => {
    const conn = await start(['Negotiate']);
    const offered = await challengeOf(dv!);
    expect(offered).toContain('Negotiate');
    expect(offered).not.toMatch(/\bNTLM\b/);
    expect((await conn.client.whoAmI()).UserId).toBe(SERVICE.id);
    const auth = conn.auth as NtlmAuth;
    expect(auth.handshakes).toBe(1);
    expect(auth.type1Sent).toBe(2); // NTLM refused, then Negotiate
    // Parallel requests open further connections; each signs in with Negotiate at once.
    await Promise.all([1, 2, 3].map(() => conn.client.whoAmI()));
    expect(auth.type1Sent - 2).toBe(auth.handshakes - 1);
  });

  it('Negotiate only: a wrong password is still "unauthorized" and is never printed', async () => {
    const conn = await start(['Negotiate'], 'Wrong-Password-123');
    const err = (await conn.client.whoAmI().catch((e: unknown) => e)) as DataverseError;
    expect(err).toBeInstanceOf(DataverseError);
    expect(err.code).toBe('unauthorized');
    expect(`${err.message} ${String(err.stack)}`).not.toContain('Wrong-Password-123');
  });

  it('Kerberos only: a clear sentence that names the cause and the two ways out', async () => {
    const conn = await start(['Kerberos']);
    const err = (await conn.client.whoAmI().catch((e: unknown) => e)) as DataverseError;
    expect(err).toBeInstanceOf(DataverseError);
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/Kerberos only/);
    expect(err.message).toMatch(/NTLM provider/);
    expect(err.message).toMatch(/CrmType IFD/);
  });

  it('crm-tapi check reports the Kerberos-only site as a sign-in failure with that sentence', async () => {
    dv = await startSimulatedDataverse({ port: 0, authSchemes: ['Kerberos'] });
    const result = await runCheck(parseConnectionConfig(onPremise(dv), 'test'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('user-invalid');
    expect(result.problems.join(' ')).toMatch(/Kerberos only/);
  });

  it('a server that offers no Windows sign-in at all keeps its own message', async () => {
    const conn = await start(['Bearer']);
    const err = (await conn.client.whoAmI().catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/does not offer NTLM or Negotiate sign-in/);
  });
});
