// Lint: eslint's and typescript-eslint's recommended rules over the TypeScript sources; formatting is
// prettier's (.prettierrc.json), so no style rules here. `npm run lint` runs both checks; CI runs it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/', '.gpu/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Everything here runs on Node.js (the .mjs/.cjs helpers too).
  { languageOptions: { globals: globals.node } },
  {
    files: ['**/*.ts'],
    rules: {
      // prettier wraps code at 120 columns but cannot split a string; comments must fit too.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true },
      ],
      // `_`-prefixed names are deliberately unused (a callback's leading parameters, a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
