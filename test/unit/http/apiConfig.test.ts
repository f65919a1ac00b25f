import { ConfigError } from '../../../src/config/env';
import { loadApiConfig } from '../../../src/http/api/apiConfig';
import { authenticate, mayRead, mayWrite } from '../../../src/http/api/auth';

describe('API configuration and authentication', () => {
  it('refuses a non-loopback bind without any token, naming the variable', () => {
    expect(() => loadApiConfig({ CONTROL_PLANE_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadApiConfig({ CONTROL_PLANE_HOST: '0.0.0.0' })).toThrow(/^API_ADMIN_TOKEN: is not set and CONTROL_PLANE_HOST=0.0.0.0/);
    expect(loadApiConfig({ CONTROL_PLANE_HOST: '0.0.0.0', API_ADMIN_TOKEN: 'x'.repeat(16) }).host).toBe('0.0.0.0');
    expect(loadApiConfig({}).adminToken).toBeUndefined();
  });

  it('reads per-client tokens and rejects short or shared ones', () => {
    const c = loadApiConfig({ API_CLIENT_TOKENS: 'acme=tok-acme-123,beta=tok-beta-456' });
    expect([...c.clientTokens]).toEqual([['acme', 'tok-acme-123'], ['beta', 'tok-beta-456']]);
    expect(() => loadApiConfig({ API_ADMIN_TOKEN: 'short' })).toThrow(/API_ADMIN_TOKEN: is shorter than 16/);
    expect(() => loadApiConfig({ API_ADMIN_TOKEN: 'same-token-0123456789', API_CLIENT_TOKENS: 'acme=same-token-0123456789' })).toThrow(/API_CLIENT_TOKENS: a client token equals API_ADMIN_TOKEN/);
    expect(() => loadApiConfig({ API_CLIENT_TOKENS: 'Acme=tok-acme-123' })).toThrow(/API_CLIENT_TOKENS: client "Acme"/);
    expect(() => loadApiConfig({ PUBLIC_URL: 'kgroot.example.com' })).toThrow(/PUBLIC_URL: must be an http\(s\) URL/);
    expect(loadApiConfig({ PUBLIC_URL: 'https://kgroot.example.com/' }).publicUrl).toBe('https://kgroot.example.com');
  });

  it('maps tokens to principals; a client token reads only its client and never writes', () => {
    const config = { adminToken: 'admin-token-0123456789', clientTokens: new Map([['acme', 'tok-acme-123']]) };
    expect(authenticate(config, 'admin-token-0123456789', '10.0.0.1')).toEqual({ ok: true, principal: { kind: 'admin' } });
    const acme = authenticate(config, 'tok-acme-123', '10.0.0.1');
    expect(acme).toEqual({ ok: true, principal: { kind: 'client', client: 'acme' } });
    if (!acme.ok) throw new Error('unreachable');
    expect([mayRead(acme.principal, 'acme'), mayRead(acme.principal, 'beta'), mayWrite(acme.principal)]).toEqual([true, false, false]);
    expect(authenticate(config, undefined, '127.0.0.1')).toMatchObject({ ok: false, status: 401 });
    expect(authenticate(config, 'tok-acme-12', '127.0.0.1')).toMatchObject({ ok: false, status: 401 });
    const none = { adminToken: undefined, clientTokens: new Map<string, string>() };
    expect(authenticate(none, undefined, '::ffff:127.0.0.1')).toEqual({ ok: true, principal: { kind: 'loopback' } });
    expect(authenticate(none, undefined, '192.168.1.4')).toMatchObject({ ok: false, status: 403 });
  });
});
