#!/usr/bin/env node
// Entry point of the `crm-tapi` command. In a git checkout (src/ present) it
// registers tsx so the TypeScript sources run without a build step; an
// installed release has no src/ and no tsx and runs the JavaScript that
// `npm run build` compiled into dist/. CRM_TAPI_DIST=1 runs dist/ from a
// checkout too (how the release build is tested before packing).
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources) && process.env.CRM_TAPI_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import(new URL('../dist/src/cli/main.js', import.meta.url).href));
}
process.exitCode = await main(process.argv);
