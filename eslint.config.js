// Lint rules: typescript-eslint's recommended set plus the walls of DESIGN.md
// (pure layers import no I/O; manager and connector never import each other;
// production code never imports the simulator).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['node:fs', 'node:fs/promises', 'node:net', 'node:tls', 'node:http', 'node:https', 'node:child_process', 'node:dgram', 'fs', 'net', 'http', 'https', 'ws', 'undici', 'better-sqlite3'];
const ioPatterns = nodeIo.map((name) => ({ name, message: 'pure layer: no I/O here (DESIGN.md)' }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'native/build/**', 'coverage/**', '**/*.bundle.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/protocol/**', 'src/dialing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioPatterns, patterns: [{ group: ['../dataverse/*', '../manager/*', '../connector/*', '../cli/*', '../../simulator/*'], message: 'pure layer (DESIGN.md)' }] }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'pure layer: time comes in as an argument' }, { name: 'fetch', message: 'pure layer: no I/O' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'pure layer: randomness comes in as an argument' }],
    },
  },
  {
    files: ['src/manager/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/connector/*', '**/simulator/**'], message: 'manager and connector meet only on the wire; src never imports simulator (DESIGN.md)' }] }] },
  },
  {
    // One clock for the manager (src/manager/clock.ts): a stray Date.now()/performance.now() is how
    // a monotonic stamp once met a wall-clock sweep and every call ended within a minute (issue 11).
    files: ['src/manager/**'],
    ignores: ['src/manager/clock.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'use the ManagerClock (clock.wall()) handed down from the composition root' },
        { object: 'performance', property: 'now', message: 'use the ManagerClock (clock.mono()) handed down from the composition root' },
      ],
    },
  },
  {
    files: ['src/connector/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/manager/*', '**/dataverse/*', '**/simulator/**'], message: 'the connector never talks to the CRM or the manager code (DESIGN.md)' }] }] },
  },
  {
    files: ['src/dataverse/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/manager/*', '**/connector/*', '**/simulator/**'], message: 'src/dataverse serves the manager and never imports it (DESIGN.md)' }] }] },
  },
  {
    files: ['src/conformance/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/manager/*', '**/connector/*', '**/manager/**', '**/connector/**', '**/simulator/**', '**/cli/**'], message: 'the conformance suite talks to implementations over the wire only (spec/conformance.md)' }] }] },
  },
  {
    files: ['src/client/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ioPatterns, patterns: [{ group: ['**/manager/*', '**/connector/*', '**/dataverse/*', '**/simulator/**', 'node:*'], message: 'the browser client imports no server code (DESIGN.md)' }] }] },
  },
);
