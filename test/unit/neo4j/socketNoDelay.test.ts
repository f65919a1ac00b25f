import net from 'node:net';
import { socketsNoDelay } from '../../../src/neo4j/socketNoDelay';

describe('socketsNoDelay', () => {
  it("turns Nagle off on every socket net.connect opens (the neo4j driver's), once however often and from however many copies it is installed", async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const spy = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      // A second copy of the module (jest's per-file registries, two bundled copies) must not wrap again.
      jest.isolateModules(() => (require('../../../src/neo4j/socketNoDelay') as typeof import('../../../src/neo4j/socketNoDelay')).socketsNoDelay());
      socketsNoDelay();
      socketsNoDelay();
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('close', r));
      // Only this socket's calls: other test files of the same jest process may hold sockets too.
      const onThis = spy.mock.calls.filter((args, i) => spy.mock.contexts[i] === socket && args[0] === true);
      expect(onThis).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await new Promise((r) => server.close(r));
    }
  });
});
