// The bridge between the real HTTP server and the msw handlers, which see only a fetch
// Request: the server tags every request with an id (after removing any such header a client
// sent), so a handler can find the TCP connection it arrived on — to read the NTLM identity
// bound to that keep-alive connection, or to reset it for a "lost response" fault.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

export const CONNECTION_HEADER = 'x-crmtapi-sim-connection';

export interface ConnectionInfo {
  socket: Socket;
  /** systemuserid authenticated by NTLM on this connection, once the handshake completed. */
  ntlmUserId?: string;
  /** The NTLM server challenge sent in the Type 2 message, while the handshake runs. */
  ntlmChallenge?: Buffer;
}

export class ConnectionRegistry {
  private readonly byId = new Map<string, ConnectionInfo>();
  private readonly bySocket = new WeakMap<Socket, string>();

  /** The id of the socket's connection, registering it on first use. */
  idFor(socket: Socket): string {
    let id = this.bySocket.get(socket);
    if (!id) {
      id = randomBytes(16).toString('hex');
      this.bySocket.set(socket, id);
      this.byId.set(id, { socket });
      socket.once('close', () => this.byId.delete(id as string));
    }
    return id;
  }

  get(id: string | null): ConnectionInfo | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  /** Resets every open connection (used by close()). */
  destroyAll(): void {
    for (const info of this.byId.values()) info.socket.destroy();
    this.byId.clear();
  }
}

/**
 * Drops the request's connection without an answer. On a real port the socket is destroyed and
 * the returned response goes nowhere; in-process (msw's setupServer, no socket) msw turns
 * Response.error() into a network error for the client.
 */
export function dropConnection(registry: ConnectionRegistry, request: Request): Response {
  const info = registry.get(request.headers.get(CONNECTION_HEADER));
  if (!info) return Response.error();
  info.socket.destroy();
  // http-middleware cannot write a network error (status 0) to a socket; this goes nowhere.
  return new Response(null, { status: 502 });
}
