import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import boundaries from 'eslint-plugin-boundaries';

// The layers, lowest first. A folder imports only from the layers below its
// own, never from a peer in its layer nor from above (ARCHITECTURE.md draws
// them). The flow stages sit in the order work is handed on: inbound wakes
// agents and cancels approved replies, approval schedules delivery.
const LAYERS = [
  // The domain core: enums and pure rules (lifecycles, threading, dedupe); no I/O.
  ['conversations'],
  ['config'],
  // Logging, metrics, the outbound guard, secrets: what every part may use.
  ['platform'],
  // Adapters to the outside: IMAP/MIME/SMTP, BullMQ, Redis pub/sub, the embedded MongoDB, HTTP tools.
  ['mail', 'queues', 'realtime', 'embedded-mongo', 'tools'],
  ['store'],
  // The case's audit trail: what every change records on its way through;
  // webhooks: the events every flow stage emits, and their signed delivery;
  // credentials: mailbox logins (passwords, OAuth2 tokens).
  ['audit', 'webhooks', 'credentials'],
  ['delivery'],
  // Knowledge sources, their index and grounding a draft (what agents retrieve).
  ['knowledge'],
  ['approval', 'agents', 'redaction', 'users'],
  ['inbound', 'maintenance'],
  ['api'],
  // The web app's server side: sessions and sign-in on top of the API.
  ['web'],
  // Wires the roles of one process together.
  ['runtime'],
  // The operator's command line (postroom apply-config, import, cases, queues, doctor).
  ['cli'],
  // The entry points (workers/*.ts).
  ['workers'],
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // The layer rule: an import from a higher layer (or a peer) fails lint.
    files: ['src/**', 'workers/**'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'boundaries/elements': LAYERS.flat().map((folder) => ({
        type: folder,
        pattern: folder === 'workers' ? 'workers' : `src/${folder}`,
      })),
    },
    rules: {
      // A new folder fails lint until it has a place in LAYERS.
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message:
            '{{from.type}} may not import {{to.type}}: imports run down the layers only (LAYERS in eslint.config.js)',
          policies: LAYERS.flatMap((layer, index) =>
            layer.map((folder) => ({
              from: { element: { type: folder } },
              allow: {
                to: { element: { types: { anyOf: [folder, ...LAYERS.slice(0, index).flat()] } } },
              },
            })),
          ),
        },
      ],
    },
  },
  {
    // The web app's modules run in the browser, not in Node.
    files: ['src/web/public/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Protocol libraries stay in their adapter folders (STYLE.md, practice 1).
    files: ['src/**'],
    ignores: ['src/mail/**', 'src/store/**', 'src/embedded-mongo/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'imapflow', message: 'Only src/mail/ talks IMAP.' },
            { name: 'mailparser', message: 'Only src/mail/ parses MIME.' },
            { name: 'nodemailer', message: 'Only src/mail/ speaks SMTP.' },
            { name: 'mongoose', message: 'Only src/store/ imports mongoose.' },
            { name: 'mongodb', message: 'Only src/store/ talks to MongoDB.' },
          ],
        },
      ],
    },
  },
);
