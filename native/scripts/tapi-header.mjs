// Prints the path of mingw-w64's tapi.h, the one source of TAPI's constants and
// structures for the Linux build (the Windows build uses the toolchain's copy).
import { existsSync } from 'node:fs';

const path = process.env.CRM_TAPI_TAPI_H ?? '/usr/share/mingw-w64/include/tapi.h';
if (!existsSync(path)) {
  process.stderr.write(`tapi.h not found at ${path}: install the Debian package g++-mingw-w64-x86-64 (or set CRM_TAPI_TAPI_H)\n`);
  process.exit(1);
}
process.stdout.write(path);
