// Lint rules that catch the classic harness bugs: an unawaited serial write, a
// promise dropped on the floor, a focused test left in.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': ['error',
        { object: 'describe', property: 'only', message: 'no focused suites' },
        { object: 'it', property: 'only', message: 'no focused tests' }],
    },
  },
  {
    // The stack is pure: no wall clock, no timers, no I/O (DESIGN.md "The stack is pure").
    files: ['stack/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'stack/ takes time from the injected Timers' },
        { name: 'setInterval', message: 'stack/ takes time from the injected Timers' },
        { name: 'setImmediate', message: 'stack/ takes time from the injected Timers' },
        { name: 'performance', message: 'stack/ reads no clock' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'stack/ reads no clock' },
        { object: 'Math', property: 'random', message: 'stack/ takes randomness from the injected Rng' }],
    },
  },
);
