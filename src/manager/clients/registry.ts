// The open client connections, and per proven user their incall connections:
// what routing picks the one popup connection from.
import type { DiagnoseSocket } from '../../protocol/index.ts';
import type { ClientTarget, Recipients } from '../routing/router.ts';
import type { ClientConnection } from './connection.ts';

export class ClientRegistry implements Recipients {
  readonly all = new Map<string, ClientConnection>();
  private readonly byUser = new Map<string, Set<ClientConnection>>();

  add(connection: ClientConnection): void {
    this.all.set(connection.id, connection);
  }

  /** The connection is proven and takes call notifications. */
  enrol(connection: ClientConnection): void {
    const id = connection.user?.id;
    if (id === undefined) return;
    let set = this.byUser.get(id);
    if (set === undefined) this.byUser.set(id, (set = new Set()));
    set.add(connection);
  }

  remove(connection: ClientConnection): void {
    this.all.delete(connection.id);
    const id = connection.user?.id;
    if (id === undefined) return;
    const set = this.byUser.get(id);
    set?.delete(connection);
    if (set?.size === 0) this.byUser.delete(id);
  }

  connectionsOf(userId: string): ClientConnection[] {
    return [...(this.byUser.get(userId) ?? [])].filter((c) => c.open);
  }

  users(): string[] {
    return [...this.byUser.keys()];
  }

  isOpen(id: string): boolean {
    return this.all.get(id)?.open === true;
  }

  pick(userId: string, preferred: string | undefined): ClientTarget | undefined {
    const set = this.byUser.get(userId);
    if (set === undefined) return undefined;
    if (preferred !== undefined) {
      const held = this.all.get(preferred);
      if (held !== undefined && held.open && set.has(held)) return held;
    }
    let best: ClientConnection | undefined;
    for (const c of set) {
      if (!c.open) continue;
      if (best === undefined || c.lastActive > best.lastActive || (c.lastActive === best.lastActive && c.created > best.created)) best = c;
    }
    return best;
  }

  sockets(max = 4096): DiagnoseSocket[] {
    const out: DiagnoseSocket[] = [];
    for (const c of this.all.values()) {
      const d = c.describe();
      if (d !== undefined) out.push(d);
      if (out.length >= max) break;
    }
    return out;
  }

  unproven(): number {
    let n = 0;
    for (const c of this.all.values()) if (c.phase !== 'ready') n += 1;
    return n;
  }
}
