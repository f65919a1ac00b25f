import { ConfigError } from '../../../src/config/env';
import { loadSasl, librdkafkaBase } from '../../../src/kafka/kafkaConfig';
import { kafkaProperties } from '../../../src/stack/localStack';
import { loadStackConfig } from '../../../src/stack/stackConfig';
import { clientCredentials, clientPassword, clientUsername, clientWriteTopics, loadClientAuthSettings, provisionCommands, revokeCommands } from '../../../src/tenancy/clientAuth';

const SECRET = 'a-secret-of-at-least-16';

describe('client Kafka auth (KAFKA_AUTH=scram)', () => {
  test('the user name cannot be a super user or another client', () => {
    expect(clientUsername('admin')).toBe('tenant.admin');
    expect(clientUsername('acme')).not.toBe(clientUsername('acme-2'));
  });

  test('the password is derived per client and per secret', () => {
    expect(clientPassword(SECRET, 'acme')).toBe(clientPassword(SECRET, 'acme'));
    expect(clientPassword(SECRET, 'acme')).not.toBe(clientPassword(SECRET, 'acme-2'));
    expect(clientPassword(SECRET, 'acme')).not.toBe(clientPassword(`${SECRET}x`, 'acme'));
    expect(clientPassword(SECRET, 'acme')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('ACLs: literal topics of its own raw data and the heartbeat, none of the shared raw topics', () => {
    // Its own copies of every routed topic (the agent's default routes write the normalized ones), none shared.
    expect(clientWriteTopics('acme')).toEqual(['raw.k8s.events.acme', 'raw.k8s.logs.acme', 'alerts.raw.acme', 'events.normalized.acme', 'logs.normalized.acme', 'cluster.heartbeat']);
    const { acls } = provisionCommands('acme', { credentialSecret: SECRET, produceBytesPerSecond: 1024, fetchBytesPerSecond: 2048 });
    expect(acls).not.toContain('--resource-pattern-type');
    expect(acls).not.toContain('raw.k8s.events');
    expect(acls.slice(0, 4)).toEqual(['kafka.admin.AclCommand', '--add', '--allow-principal', 'User:tenant.acme']);
  });

  test('provision and revoke touch the same user, quotas and ACLs', () => {
    const p = provisionCommands('acme', { credentialSecret: SECRET, produceBytesPerSecond: 1024, fetchBytesPerSecond: 2048 });
    const r = revokeCommands('acme');
    expect(p.scram).toContain(`SCRAM-SHA-512=[password=${clientPassword(SECRET, 'acme')}]`);
    expect(p.quotas).toContain('producer_byte_rate=1024,consumer_byte_rate=2048');
    expect(r.scram.slice(-2)).toEqual(['--delete-config', 'SCRAM-SHA-512']);
    expect(r.quotas.slice(-2)).toEqual(['--delete-config', 'producer_byte_rate,consumer_byte_rate']);
    expect(r.acls.slice(3)).toEqual(p.acls.slice(2));
  });

  test('config: scram needs a secret and routed tenancy', () => {
    expect(loadClientAuthSettings({}, 'shared').mode).toBe('none');
    expect(() => loadClientAuthSettings({ KAFKA_AUTH: 'scram' }, 'routed')).toThrow(/KAFKA_CREDENTIAL_SECRET/);
    expect(() => loadClientAuthSettings({ KAFKA_AUTH: 'scram', KAFKA_CREDENTIAL_SECRET: SECRET }, 'shared')).toThrow(/TENANCY=routed/);
    const s = loadClientAuthSettings({ KAFKA_AUTH: 'scram', KAFKA_CREDENTIAL_SECRET: SECRET, KAFKA_CLIENT_BROKERS: 'kafka:9095' }, 'routed');
    expect(clientCredentials('acme', s)).toMatchObject({ brokers: 'kafka:9095', username: 'tenant.acme', securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512' });
  });

  test('components connect authenticated with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT', () => {
    expect(loadSasl({})).toBeUndefined();
    expect(() => loadSasl({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'admin' })).toThrow(ConfigError);
    const sasl = loadSasl({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: 'pw' });
    expect(librdkafkaBase({ brokers: 'k:9096', clientId: 'x', maxMessageBytes: 1024, sasl })).toMatchObject({
      'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'admin', 'sasl.password': 'pw',
    });
    expect(librdkafkaBase({ brokers: 'k:9092', clientId: 'x', maxMessageBytes: 1024 })).not.toHaveProperty('security.protocol');
  });

  test('the local broker: a SASL listener and the authorizer by default, none with port 0', () => {
    const withSasl = kafkaProperties(loadStackConfig({ KGROOT_KAFKA_SASL_PORT: '9096' }), '/d');
    expect(withSasl).toContain('listeners=PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9096,CONTROLLER://127.0.0.1:9093');
    expect(withSasl).toContain('authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(withSasl).toContain('super.users=User:ANONYMOUS;User:admin');
    const plain = kafkaProperties(loadStackConfig({ KGROOT_KAFKA_SASL_PORT: '0' }), '/d');
    expect(plain).not.toContain('SASL');
    expect(plain).not.toContain('authorizer');
  });
});
