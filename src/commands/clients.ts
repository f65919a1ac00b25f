import { Argument, Command } from 'commander';
import { validateClientId } from '../domain/clientId';
import { clientCredentials, loadClientAuthSettings } from '../tenancy/clientAuth';
import { loadTenancySettings } from '../tenancy/tenancyConfig';

export const description = 'clients credentials <client>: the Kafka SCRAM credentials of a client (KAFKA_AUTH=scram), as JSON';

const USAGE = 'usage: kgroot clients credentials <client>\n';

export function define(cmd: Command): void {
  cmd.addArgument(new Argument('<verb>', 'credentials: print the client\'s SASL settings').choices(['credentials'])).addArgument(new Argument('<client>', 'the client id'));
}

/**
 * `kgroot clients credentials C`: an admin prints client C's SASL settings (user, password, the
 * SASL listener, the topics it may write) to hand to C's agent. The password is derived from
 * KAFKA_CREDENTIAL_SECRET, so the command needs that secret and no broker; the broker accepts it
 * only while C is registered (the control plane creates the credential at registration and deletes
 * it at deregistration).
 */
export async function main(args: string[]): Promise<number> {
  const [sub, id, ...extra] = args;
  if (sub !== 'credentials' || id === undefined || extra.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const check = validateClientId(id);
  if (!check.ok) {
    process.stderr.write(`kgroot clients: invalid client id ${JSON.stringify(id)}: ${check.reason}\n`);
    return 2;
  }
  const auth = loadClientAuthSettings(process.env, loadTenancySettings(process.env).mode);
  if (auth.mode !== 'scram') {
    process.stderr.write('kgroot clients credentials: KAFKA_AUTH is not scram; clients connect without credentials\n');
    return 1;
  }
  process.stdout.write(`${JSON.stringify(clientCredentials(check.clientId, auth), null, 2)}\n`);
  return 0;
}
