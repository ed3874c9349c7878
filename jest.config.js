/** Tests run as ESM on Node 24: @actions/core 3 is ESM-only (README, Development). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // dist/ is rebuilt from src/ before any test: the e2e tests run the bundle.
  globalSetup: '<rootDir>/__tests__/global-setup.js',
  testTimeout: 60000,
  maxWorkers: 2
}
