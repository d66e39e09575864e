// `npm pack` hooks (prepack/postpack): the released package carries an
// npm-shrinkwrap.json made from package-lock.json, so an operator's
// `npm install -g crm-tapi-<version>.tgz` installs exactly the dependency
// versions this release was tested with. Removed after packing: in the
// checkout package-lock.json stays the one lock file.
import { copyFileSync, rmSync } from 'node:fs';

const lock = new URL('../package-lock.json', import.meta.url);
const shrinkwrap = new URL('../npm-shrinkwrap.json', import.meta.url);
if (process.argv[2] === 'write') copyFileSync(lock, shrinkwrap);
else rmSync(shrinkwrap, { force: true });
