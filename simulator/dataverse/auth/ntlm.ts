// The server side of the NTLM handshake as IIS runs it for on-premises CRM: Type 1
// (negotiate) → 401 with a Type 2 challenge → Type 3 (authenticate) on the same keep-alive
// connection. The Type 3 user is checked against the directory and its NTLMv2 response
// verified with the user's password (MS-NLMP 3.3.2). MD4, which NTLM's NT hash needs, is gone
// from OpenSSL 3's default provider; js-md4 (already installed with httpntlm) supplies it.
import { createHmac, createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const FLAGS = {
  unicode: 0x00000001,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  extendedSecurity: 0x00080000,
  targetInfo: 0x00800000,
} as const;

type Md4 = (data: Buffer) => Buffer;

function loadMd4(): Md4 | undefined {
  try {
    createHash('md4');
    return (data) => createHash('md4').update(data).digest();
  } catch {
    // OpenSSL 3 without the legacy provider: fall through to js-md4.
  }
  try {
    const mod = createRequire(import.meta.url)('js-md4') as { arrayBuffer(data: Buffer): ArrayBuffer };
    return (data) => Buffer.from(mod.arrayBuffer(data));
  } catch {
    return undefined;
  }
}

const md4 = loadMd4();
/** False when no MD4 is available: then the Type 3 user is checked but not the password. */
export const NTLM_PASSWORD_VERIFICATION = md4 !== undefined;

export function messageType(buf: Buffer): number | undefined {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(SIGNATURE)) return undefined;
  return buf.readUInt32LE(8);
}

function avPair(id: number, value: string): Buffer {
  const v = Buffer.from(value, 'utf16le');
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(v.length, 2);
  return Buffer.concat([head, v]);
}

export function buildType2(challenge: Buffer, domain: string, computer: string): Buffer {
  const target = Buffer.from(domain.toUpperCase(), 'utf16le');
  const info = Buffer.concat([avPair(2, domain.toUpperCase()), avPair(1, computer.toUpperCase()), avPair(4, `${domain.toLowerCase()}.local`), avPair(3, `${computer.toLowerCase()}.${domain.toLowerCase()}.local`), Buffer.alloc(4)]);
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(target.length, 12);
  header.writeUInt16LE(target.length, 14);
  header.writeUInt32LE(56, 16);
  const flags = FLAGS.unicode | FLAGS.requestTarget | FLAGS.ntlm | FLAGS.alwaysSign | FLAGS.targetTypeDomain | FLAGS.extendedSecurity | FLAGS.targetInfo;
  header.writeUInt32LE(flags >>> 0, 20);
  challenge.copy(header, 24);
  header.writeUInt16LE(info.length, 40);
  header.writeUInt16LE(info.length, 42);
  header.writeUInt32LE(56 + target.length, 44);
  // Version: 6.1 build 7601, NTLM revision 15.
  header.writeUInt8(6, 48);
  header.writeUInt8(1, 49);
  header.writeUInt16LE(7601, 50);
  header.writeUInt8(15, 55);
  return Buffer.concat([header, target, info]);
}

export interface Type3 {
  user: string;
  domain: string;
  workstation: string;
  lmResponse: Buffer;
  ntResponse: Buffer;
}

function field(buf: Buffer, at: number): Buffer | undefined {
  if (at + 8 > buf.length) return undefined;
  const len = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (offset + len > buf.length) return undefined;
  return buf.subarray(offset, offset + len);
}

/** Parses an NTLM Type 3 message; undefined when it is malformed. */
export function parseType3(buf: Buffer): Type3 | undefined {
  if (messageType(buf) !== 3 || buf.length < 64) return undefined;
  const lm = field(buf, 12);
  const nt = field(buf, 20);
  const domain = field(buf, 28);
  const user = field(buf, 36);
  const ws = field(buf, 44);
  if (!lm || !nt || !domain || !user || !ws) return undefined;
  const flags = buf.length >= 64 ? buf.readUInt32LE(60) : FLAGS.unicode;
  const enc: BufferEncoding = flags & FLAGS.unicode ? 'utf16le' : 'latin1';
  return { user: user.toString(enc), domain: domain.toString(enc), workstation: ws.toString(enc), lmResponse: lm, ntResponse: nt };
}

/** Checks an NTLMv2 response (NTProofStr over server challenge + client blob). */
export function verifyNtlmV2(msg: Type3, serverChallenge: Buffer, password: string): boolean {
  if (!md4 || msg.ntResponse.length <= 24) return false;
  const ntHash = md4(Buffer.from(password, 'utf16le'));
  const responseKey = createHmac('md5', ntHash).update(Buffer.from(msg.user.toUpperCase() + msg.domain, 'utf16le')).digest();
  const proof = msg.ntResponse.subarray(0, 16);
  const blob = msg.ntResponse.subarray(16);
  const expected = createHmac('md5', responseKey).update(Buffer.concat([serverChallenge, blob])).digest();
  return expected.equals(proof);
}
