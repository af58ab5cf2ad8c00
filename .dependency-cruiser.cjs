/**
 * The floor plan of src/ (docs/architecture.md), as rules dependency-cruiser enforces:
 * `npm run arch`, and test/architecture.test.ts in the suite.
 *
 *   0 platform, config → 1 registries (kernel) → 2 search, audit → 3 accounts → 4 features → 5 app, main
 *
 * Each layer may import its own layer and the ones below it. Within layer 2 search and audit do
 * not know each other; within layer 4 a feature never imports another feature. scripts/ and
 * test/ sit outside the house and may use any room.
 */
'use strict';

const FEATURES = 'site|verify|admin|imports|stats|open-data|api-docs|demo|reports|media|alerts|applications';
const BOOT = '^src/(app|main)\\.ts$';

/** A rule that forbids `from` to import anything matching `to`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

module.exports = {
  forbidden: [
    forbid(
      'platform-is-the-floor',
      'platform/ and config/ know no room above them: pass what they need in.',
      { path: '^src/(platform|config)/' },
      { path: [`^src/(registries|search|audit|accounts|${FEATURES})/`, BOOT] },
    ),
    forbid(
      'kernel-knows-no-subscriber',
      'registries/ is the kernel: subscribers register with it at boot, it never imports them.',
      { path: '^src/registries/' },
      { path: [`^src/(search|audit|accounts|${FEATURES})/`, BOOT] },
    ),
    forbid(
      'search-and-audit-apart',
      'The two change-log subscribers must be able to fail apart: neither imports the other.',
      { path: '^src/(search|audit)/' },
      { path: '^src/(search|audit)/', pathNot: '^src/$1/' },
    ),
    forbid(
      'subscribers-below-features',
      'search/ and audit/ serve features and identity, never the other way round.',
      { path: '^src/(search|audit)/' },
      { path: [`^src/(accounts|${FEATURES})/`, BOOT] },
    ),
    forbid(
      'identity-below-features',
      'accounts/ (users, roles, sessions) is used by features, never uses them.',
      { path: '^src/accounts/' },
      { path: [`^src/(${FEATURES})/`, BOOT] },
    ),
    forbid(
      'feature-to-feature',
      'A feature never imports another feature: what both need goes down a layer.',
      { path: `^src/(${FEATURES})/` },
      { path: `^src/(${FEATURES})/`, pathNot: '^src/$1/' },
    ),
    forbid('features-below-boot', 'Only boot (main.ts) and the app factory (app.ts) assemble the features.', { path: `^src/(${FEATURES})/` }, { path: BOOT }),
    forbid('no-file-cycles', 'A cycle of imports makes load order matter and rooms inseparable.', { path: '^src/' }, { circular: true }),
    forbid('src-stands-alone', 'The product never imports the tests or the scripts.', { path: '^src/' }, { path: '^(test|scripts)/' }),
    forbid('no-unresolvable', 'An import that resolves to nothing is a typo or a missing package.', {}, { couldNotResolve: true }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
