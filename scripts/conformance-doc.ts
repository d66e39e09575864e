// Rewrites the case tables of spec/conformance.md from the suite's case lists:
// `npx tsx scripts/conformance-doc.ts`. A test keeps them equal.
import { readFileSync, writeFileSync } from 'node:fs';
import { withCaseTables } from '../src/conformance/catalogue-doc.ts';

const path = new URL('../spec/conformance.md', import.meta.url);
writeFileSync(path, withCaseTables(readFileSync(path, 'utf8')));
