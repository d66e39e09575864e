// The TAPI port with TLS (TlsCertFile/TlsKeyFile): the real connector with
// ManagerTls = 1 registers over it; a plain-TCP client gets nothing.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readTlsMaterial } from '../../../src/manager/startup/tls.ts';
import { KEY as HARNESS_KEY, startHarness } from '../../connector/support/harness.ts';
import { startGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const TLS = new URL('../../../fixtures/tls/', import.meta.url);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('TLS on the TAPI port', () => {
  it('carries the real connector\'s registration and events; plain TCP gets no answer', async () => {
    const tls = await readTlsMaterial({ TlsCertFile: new URL('server.pem', TLS).pathname, TlsKeyFile: new URL('server-key.pem', TLS).pathname });
    const g = await startGateway({ connectorKeys: [HARNESS_KEY] }, { tls });
    cleanups.push(() => g.stop());
    const h = await startHarness({ port: g.port }, { config: { ManagerTls: 1, ManagerServerName: 'localhost' }, service: { managerCa: readFileSync(new URL('ca.pem', TLS)) } });
    cleanups.push(() => h.service.stop());
    await until(() => g.gateway.lines().length === 3, 'lines over TLS');
    expect(await g.gateway.selfTest()).toBe(true);
    expect(g.gateway.diagnose().connectors[0]?.peer).toMatch(/^127\.0\.0\.1:\d+$/);

    const plain = await RawConnector.open(g.port);
    cleanups.push(() => plain.close());
    plain.register();
    await plain.closedPromise;
    expect(plain.of('registered')).toEqual([]);
  });

  it('a TLS client that never finishes its handshake is closed by the registration deadline', async () => {
    const tls = await readTlsMaterial({ TlsCertFile: new URL('server.pem', TLS).pathname, TlsKeyFile: new URL('server-key.pem', TLS).pathname });
    const g = await startGateway({ registrationTimeoutMs: 300 }, { tls });
    cleanups.push(() => g.stop());
    const raw = await RawConnector.open(g.port); // TCP only: no ClientHello
    cleanups.push(() => raw.close());
    const started = Date.now();
    await raw.closedPromise;
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses unusable certificate files with one sentence', async () => {
    await expect(readTlsMaterial({ TlsCertFile: new URL('ca.pem', TLS).pathname, TlsKeyFile: new URL('server-key.pem', TLS).pathname })).rejects.toMatchObject({
      code: 'config-invalid',
      message: expect.stringMatching(/^TlsCertFile: the certificate cannot be used/),
    });
    await expect(readTlsMaterial({ TlsPfxFile: '/nonexistent/x.pfx' })).rejects.toMatchObject({ message: 'TlsPfxFile: cannot read /nonexistent/x.pfx (ENOENT)' });
  });
});
