// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Size limits (issue 16): files under 400 lines and functions under 80, so that each reads in one
 * sitting. Test suites are exempt from the function limit (a describe block is a list of cases).
 * Known exceptions, still to split, are listed below at `warn`: lint passes and they stay visible,
 * while any other file over a limit is an error. web/src/api-schema.d.ts is generated.
 */
const SIZE = { max: 400, skipBlankLines: true, skipComments: true };
const FUNCTION_SIZE = { max: 80, skipBlankLines: true, skipComments: true };
const KNOWN_LONG_FUNCTIONS = [
  'src/http/edge/proxy.ts',
  'web/src/App.tsx',
  'web/src/components/Charts.tsx',
  'web/src/pages/ChangePasswordDialog.tsx',
  'web/src/pages/DashboardPage.tsx',
  'web/src/pages/MyTokensPage.tsx',
  'web/src/pages/SignInPage.tsx',
  'web/src/pages/TokenManagerPage.tsx',
  'web/src/pages/admin/AuditLoggingTab.tsx',
  'web/src/pages/admin/AuthenticationTab.tsx',
  'web/src/pages/admin/LogLevelsTab.tsx',
  'web/src/pages/admin/PoliciesTab.tsx',
  'web/src/pages/admin/UserDialogs.tsx',
  'web/src/pages/admin/UsersTab.tsx',
  'web/src/pages/audit/AuditDetails.tsx',
  'web/src/pages/tokens/RevokeUserTokensDialog.tsx',
  'web/src/pages/tokens/RotateTokenDialog.tsx',
  'web/src/pages/tokens/TokenFilterForm.tsx',
  'web/src/pages/tokens/TokenFormDialog.tsx',
  'web/src/pages/tokens/TokenTable.tsx',
];
const KNOWN_LONG_FILES = [
  'src/log/layout.test.ts',
  'test/api-fuzz.test.ts',
  'test/api-authz-matrix.test.ts',
  'test/attacks-brute-force.test.ts',
  'src/domain/auth/decide.test.ts',
  'test/audit-outputs.test.ts',
  'test/gateway.test.ts',
  'test/support/git-server.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Fastify plugins and route handlers are async by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
      // Drivers return counts and BIGINTs as number, string or bigint depending on the database.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', URL: 'readonly', console: 'readonly' },
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': 'off',
      // Assertions narrow types in ways the rule cannot see; defensive chains keep failures readable.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['web/src/api-schema.d.ts'],
    rules: {
      'max-lines': ['error', SIZE],
      'max-lines-per-function': ['error', FUNCTION_SIZE],
    },
  },
  { files: ['**/*.test.ts', 'test/**/*.ts'], rules: { 'max-lines-per-function': 'off' } },
  { files: KNOWN_LONG_FUNCTIONS, rules: { 'max-lines-per-function': ['warn', FUNCTION_SIZE] } },
  { files: KNOWN_LONG_FILES, rules: { 'max-lines': ['warn', SIZE] } },
);
