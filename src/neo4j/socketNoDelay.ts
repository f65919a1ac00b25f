import net from 'node:net';
import tls from 'node:tls';

/** Marks the installed wrappers on the (process-wide) net and tls modules, so a second copy of this module does not wrap again. */
const INSTALLED = Symbol.for('kgroot.socketsNoDelay');

/**
 * Turns Nagle's algorithm off on the sockets this process opens (TCP_NODELAY), which the neo4j
 * driver (5.28) does not do. The driver writes a Bolt message in chunks of at most 1,400 bytes, one
 * socket write each: with Nagle on, the second write of a statement longer than that waits for
 * the server's (delayed) ACK of the first — measured here 4–40 ms per statement on loopback, for
 * every ranking slice read and every batched write. Idempotent; Kafka (librdkafka) has its own
 * sockets and HTTP clients set it themselves, so only the driver's connections change.
 */
export function socketsNoDelay(): void {
  if ((net.connect as unknown as Record<symbol, boolean>)[INSTALLED]) return;
  noDelayOn(net as unknown as Connector);
  noDelayOn(tls as unknown as Connector);
  (net.connect as unknown as Record<symbol, boolean>)[INSTALLED] = true;
}

type Connector = { connect: (...args: unknown[]) => net.Socket };

/** Replaces `mod.connect` by one that turns Nagle off on the socket it returns. */
function noDelayOn(mod: Connector): void {
  const connect = mod.connect;
  mod.connect = function (this: unknown, ...args: unknown[]) {
    const socket = connect.apply(this, args);
    socket.setNoDelay(true);
    return socket;
  };
}
