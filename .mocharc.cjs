// SPEC=test/foo.test.ts narrows a run to some files (mocha merges CLI specs with this list).
'use strict';
module.exports = {
  spec: process.env.SPEC ? process.env.SPEC.split(',') : ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  require: ['test/support/global.ts'],
  timeout: 30000,
  slow: 2000,
  exit: true,
  reporter: 'test/support/ci-reporter.cjs',
};
