/** Two projects: `unit` (pure code, marble tests) and `int` (real Kafka, Neo4j, podman; *.int.test.ts). */
const tsJest = ['ts-jest', { diagnostics: false }];
// @kubernetes/client-node 1.x and its OpenID dependencies are ES modules: jest's CommonJS runtime
// needs them transpiled (the built code loads them with Node's own require of ES modules).
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
const esmJs = ['ts-jest', { diagnostics: false, isolatedModules: true, tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' } }];
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
      transform: { '^.+\\.ts$': tsJest, '^.+\\.js$': esmJs },
      transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
      testMatch: ['<rootDir>/test/int/**/*.int.test.ts'],
    },
  ],
};
