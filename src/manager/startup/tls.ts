// The certificate of both listeners, read once at start from PEM files
// (TlsCertFile + TlsKeyFile) or a PFX (TlsPfxFile + TlsPfxPassword) and
// tried in a secure context, so a bad file stops the start with one sentence
// instead of failing on the first client.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../../config/file.ts';
import type { TlsMaterial } from '../contracts.ts';
import type { ManagerConfig } from '../config/load.ts';

async function read(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('config-invalid', `${key}: cannot read ${path} (${code})`, [`${key}: cannot read ${path} (${code})`]);
  }
}

export async function readTlsMaterial(config: Pick<ManagerConfig, 'TlsCertFile' | 'TlsKeyFile' | 'TlsPfxFile' | 'TlsPfxPassword'>): Promise<TlsMaterial | undefined> {
  let material: TlsMaterial;
  let key: string;
  if (config.TlsPfxFile !== undefined) {
    key = 'TlsPfxFile';
    material = { pfx: await read(config.TlsPfxFile, 'TlsPfxFile'), ...(config.TlsPfxPassword === undefined ? {} : { passphrase: config.TlsPfxPassword }) };
  } else if (config.TlsCertFile !== undefined && config.TlsKeyFile !== undefined) {
    key = 'TlsCertFile';
    material = { cert: await read(config.TlsCertFile, 'TlsCertFile'), key: await read(config.TlsKeyFile, 'TlsKeyFile') };
  } else {
    return undefined;
  }
  try {
    createSecureContext(material);
  } catch (err) {
    // OpenSSL's text names the problem (bad password, key does not match); it never contains the password.
    const problem = `${key}: the certificate cannot be used (${(err as Error).message})`;
    throw new ConfigError('config-invalid', problem, [problem]);
  }
  return material;
}
