// Hints that name the real cause of a failed diagnose-channel request: an
// operator reads "cannot reach" and needs to know whether the certificate is
// not trusted (→ --ca) or the port speaks TLS and wants wss://.
import { connect as tlsConnect } from 'node:tls';
import type { DiagnoseClientError } from '../../manager/diagnose-client.ts';

/** Node's codes for a certificate chain it could not verify. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED',
]);

/** Whether host:port completes a TLS handshake (certificate not checked: only "does it speak TLS"). */
export function speaksTls(host: string, port: number, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) });
    const done = (yes: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A sentence to append to the error, or '' when there is nothing to add. */
export async function diagnoseHint(err: DiagnoseClientError, managerUrl: string, hasCa: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(managerUrl);
  } catch {
    return '';
  }
  const text = err.message;
  if (url.protocol === 'wss:' && [...UNTRUSTED].some((code) => text.includes(code))) {
    return hasCa
      ? '; the certificate does not chain to the CA given with --ca: pass the CA that issued the manager\'s certificate'
      : '; the manager\'s certificate is not trusted here: pass the CA that issued it with --ca FILE (PEM)';
  }
  if (url.protocol === 'ws:' && (err.code === 'unreachable' || err.code === 'timeout') && !text.includes('ECONNREFUSED')) {
    const port = Number(url.port || 80);
    if (await speaksTls(url.hostname.replace(/^\[|\]$/g, ''), port)) return `; port ${port} speaks TLS: use wss://${url.host}${url.pathname === '/' ? '' : url.pathname} (with --ca FILE if its certificate comes from your own CA)`;
  }
  return '';
}
