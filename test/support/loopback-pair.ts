// Two ends of one loopback TCP connection, for tests about what the event loop
// runs first: data written on `client` is readable on `peer` at the next poll.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface LoopbackPair {
  readonly client: Socket;
  readonly peer: Socket;
  close(): void;
}

export async function loopbackPair(): Promise<LoopbackPair> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return {
    client,
    peer,
    close() {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}
