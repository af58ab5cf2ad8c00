// Lint: typescript-eslint's strict rules (syntax only: the type checker is `npm run typecheck`,
// TypeScript 7, which has no API for lint rules yet — see docs/decisions/0010), plus the house
// rule that only the registry service writes entries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The mongoose models of the registries, the brand they hang on, and its pictures (src/registries/pictures.ts). */
const ENTRY_MODELS = '^(Brand|Trademark|DirectoryEntry|FamousMark|TimeHonored|Certificate|Picture|ENTRY_MODELS|model|entryModel)$';
const WRITES =
  '^(create|insertMany|insertOne|updateOne|updateMany|replaceOne|deleteOne|deleteMany|findOneAndUpdate|findOneAndReplace|findOneAndDelete|findByIdAndUpdate|findByIdAndDelete|findByIdAndRemove|bulkWrite|bulkSave|save|remove)$';
const ONLY_THE_SERVICE = 'Entries change only through src/registries/service.ts (the one write path: version claim, change log, audit, search index).';

/** Writes to an entry model: `Brand.updateOne(…)`, `ENTRY_MODELS[kind].insertMany(…)`, `new Brand(…)`, `updateByIds(Brand, …)`. */
export const entryWriteSelectors = [
  `CallExpression[callee.type='MemberExpression'][callee.object.type='Identifier'][callee.object.name=/${ENTRY_MODELS}/][callee.property.name=/${WRITES}/]`,
  `CallExpression[callee.type='MemberExpression'][callee.object.type='MemberExpression'][callee.object.object.name=/${ENTRY_MODELS}/][callee.property.name=/${WRITES}/]`,
  `CallExpression[callee.type='MemberExpression'][callee.object.type='CallExpression'][callee.object.callee.name=/${ENTRY_MODELS}/][callee.property.name=/${WRITES}/]`,
  `NewExpression[callee.name=/^(Brand|Trademark|DirectoryEntry|FamousMark|TimeHonored|Certificate|Picture)$/]`,
  `CallExpression[callee.name='updateByIds'][arguments.0.name=/${ENTRY_MODELS}/]`,
  `CallExpression[callee.property.name='collection'][arguments.0.value=/^(brands|trademarks|directoryentries|famousmarks|timehonoreds|certificates|pictures)$/]`,
].map((selector) => ({ selector, message: ONLY_THE_SERVICE }));

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', 'coverage/', 'tmp/', 'public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      // Unused names are errors, except the ones that say "deliberately ignored".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests may reach into raw replies with `any` (a warning to review); the app may not (below).
      '@typescript-eslint/no-explicit-any': 'warn',
      // Express and mongoose hand us values typed wider than what the code has already checked.
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    // The app has no `any`: lean documents use the models' Doc types, values known only at run
    // time are `unknown` narrowed by src/platform/guards.ts.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // Migration steps carry stored documents forward to the current model (derived fields, new
    // shapes) without making new versions: they write beside the service, on purpose.
    files: ['src/**/*.ts'],
    ignores: ['src/registries/service.ts', 'src/platform/db/**', 'src/registries/migrations/**'],
    rules: { 'no-restricted-syntax': ['error', ...entryWriteSelectors] },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        location: 'readonly',
        history: 'readonly',
        HTMLElement: 'readonly',
        FormData: 'readonly',
        URLSearchParams: 'readonly',
        localStorage: 'readonly',
        requestAnimationFrame: 'readonly',
        AbortController: 'readonly',
        EventSource: 'readonly',
        matchMedia: 'readonly',
      },
    },
  },
);
