import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
