/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  setupFiles: ['<rootDir>/test/support/silenceFunctionsTestMode.ts'],
  testTimeout: 30000,
  // Coverage of the product code by the unit and integration tests (the end-to-end tests run the
  // built app in child processes, which jest does not instrument). The thresholds are what the
  // suite reached when they were set: a change may raise them, never quietly lower them. `npm test`
  // runs with --coverage, so CI enforces them; a single test file run alone does not.
  collectCoverageFrom: ['functions/**/*.ts', 'shared/**/*.ts'],
  coverageReporters: ['text-summary'],
  coverageThreshold: {
    './functions/': { lines: 100, statements: 100, functions: 100, branches: 70 },
    './shared/': { lines: 96, statements: 94, functions: 97, branches: 83 },
  },
};
