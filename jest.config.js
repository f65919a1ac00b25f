/** Two projects: `unit` (pure code, marble tests) and `int` (real Kafka, Neo4j, podman; *.int.test.ts). */
const tsJest = ['ts-jest', { isolatedModules: true, diagnostics: false }];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'int',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/int/**/*.int.test.ts'],
      testTimeout: 300000,
    },
  ],
};
