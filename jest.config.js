/** Two projects: `unit` (pure code, marble tests) and `int` (real Kafka, Neo4j, podman; *.int.test.ts). */
const tsJest = ['ts-jest', { diagnostics: false }];
module.exports = {
  // Integration tests wait on real brokers and processes; unit tests finish far below this.
  testTimeout: 300000,
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
    },
  ],
};
