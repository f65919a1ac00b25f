import net from 'node:net';
import { socketsNoDelay } from '../../../src/neo4j/socketNoDelay';

describe('socketsNoDelay', () => {
  it("turns Nagle off on every socket net.connect opens (the neo4j driver's), once however often it is called", async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const spy = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      socketsNoDelay();
      socketsNoDelay();
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('close', r));
      expect(spy.mock.calls.filter(([on]) => on === true)).toHaveLength(1);
      expect(spy.mock.instances[0]).toBe(socket);
    } finally {
      spy.mockRestore();
      await new Promise((r) => server.close(r));
    }
  });
});
