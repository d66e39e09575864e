// The simulated identity side: tenant, organisation, application registrations (client
// secrets, certificates) and user passwords, read from `directory.json` of the seed directory.
// Real Dataverse keeps none of this; Entra ID or Active Directory does. Test-only credentials.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../src/config/file.ts';
import { SimulatorError } from './errors.ts';
import { readJson } from './metadata.ts';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export const directorySchema = z.strictObject({
  $comment: z.string().optional(),
  tenantId: guid,
  tenantDomain: z.string().min(1),
  /** NetBIOS domain for NTLM and AD FS (DOMAIN\user). */
  windowsDomain: z.string().min(1),
  organization: z.strictObject({
    organizationId: guid,
    uniqueName: z.string().regex(/^[A-Za-z0-9_]+$/),
    friendlyName: z.string().min(1),
    version: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/),
    environmentId: guid.optional(),
  }),
  applications: z.array(z.strictObject({
    clientId: guid,
    displayName: z.string(),
    /** Client secrets (test-only values). */
    secrets: z.array(z.string().min(8)).default([]),
    /** Certificates (PEM files, relative to directory.json) accepted for client_assertion. */
    certificateFiles: z.array(z.string()).default([]),
    /** The application user in Dataverse; absent = a public client (sign-in only). */
    systemuserid: guid.optional(),
    /** Redirect URIs accepted for the authorization-code flow. */
    redirectUris: z.array(z.url()).default([]),
  })),
  users: z.array(z.strictObject({
    systemuserid: guid,
    userPrincipalName: z.string().includes('@'),
    samAccountName: z.string().min(1),
    password: z.string().min(1),
  })),
});
export type DirectoryFile = z.infer<typeof directorySchema>;

export interface Certificate {
  pem: string;
  publicKey: KeyObject;
  /** base64url of the SHA-1 / SHA-256 of the DER, as JWT x5t / x5t#S256 carry them. */
  x5t: string;
  x5tS256: string;
}

export interface Directory extends Omit<DirectoryFile, 'applications'> {
  applications: (DirectoryFile['applications'][number] & { certificates: Certificate[] })[];
}

export async function loadDirectory(seedDir: string): Promise<Directory> {
  const path = join(seedDir, 'directory.json');
  const parsed = directorySchema.safeParse(await readJson(path));
  if (!parsed.success) throw new SimulatorError('sim-seed-invalid', describeIssues(parsed.error, path).message);
  const applications = [];
  for (const app of parsed.data.applications) {
    const certificates: Certificate[] = [];
    for (const file of app.certificateFiles) {
      const certPath = join(dirname(path), file);
      let pem: string;
      try {
        pem = await readFile(certPath, 'utf8');
      } catch (err) {
        throw new SimulatorError('sim-seed-unreadable', `${certPath}: cannot read the certificate of application ${app.clientId}`, { cause: err });
      }
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch (err) {
        throw new SimulatorError('sim-seed-invalid', `${certPath}: not a PEM certificate`, { cause: err });
      }
      certificates.push({
        pem,
        publicKey: cert.publicKey,
        x5t: createHash('sha1').update(cert.raw).digest('base64url'),
        x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
      });
    }
    applications.push({ ...app, certificates });
  }
  return { ...parsed.data, applications };
}
