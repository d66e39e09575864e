// The open client connections (manager/clients/registry.ts) on a registry of
// its own: which connection a user's popup goes to (the held one while it is
// open, else the most recently active, the newest on a tie, never a closed
// one), what leaving does, how many connections are still without proof, and
// the bound on the diagnose report's socket list. The gateway tests show the
// registry behind real sockets; each case failed on a hand-made break they
// did not catch.
import { describe, expect, it } from 'vitest';
import type { ClientConnection } from '../../../src/manager/clients/connection.ts';
import { ClientRegistry } from '../../../src/manager/clients/registry.ts';

interface Fake {
  id: string;
  open: boolean;
  phase: string;
  lastActive: number;
  created: number;
  user?: { id: string };
  kind: string;
  describe(): { kind: string; peer: string } | undefined;
}

function conn(id: string, o: Partial<Fake> = {}): ClientConnection {
  const c: Fake = { id, open: true, phase: 'ready', lastActive: 0, created: 0, user: { id: 'anna' }, kind: 'incall', ...o, describe: () => ({ kind: 'incall', peer: id }) };
  return c as unknown as ClientConnection;
}

function registry(...connections: ClientConnection[]): ClientRegistry {
  const r = new ClientRegistry();
  for (const c of connections) {
    r.add(c);
    r.enrol(c);
  }
  return r;
}

describe('pick', () => {
  it('the held connection while it is open; once it is closed, the most recently active open one', () => {
    const held = conn('held', { lastActive: 1 });
    const other = conn('other', { lastActive: 2 });
    const r = registry(held, other);
    expect(r.pick('anna', 'held')?.id).toBe('held');
    (held as unknown as Fake).open = false; // closed, not yet removed
    expect(r.pick('anna', 'held')?.id).toBe('other');
  });

  it('never a closed connection, even the most recently active', () => {
    const r = registry(conn('a', { lastActive: 5, open: false }), conn('b', { lastActive: 1 }));
    expect(r.pick('anna', undefined)?.id).toBe('b');
    expect(registry(conn('a', { open: false })).pick('anna', undefined)).toBeUndefined();
    expect(r.connectionsOf('anna').map((c) => c.id)).toEqual(['b']);
  });

  it('on a tie of activity, the newest connection', () => {
    const r = registry(conn('new', { lastActive: 3, created: 20 }), conn('old', { lastActive: 3, created: 10 }));
    expect(r.pick('anna', undefined)?.id).toBe('new');
    const s = registry(conn('old', { lastActive: 3, created: 10 }), conn('new', { lastActive: 3, created: 20 }));
    expect(s.pick('anna', undefined)?.id).toBe('new');
  });

  it('a user whose last connection left is no longer listed', () => {
    const a = conn('a');
    const r = registry(a, conn('j', { user: { id: 'jens' } }));
    r.remove(a);
    expect(r.users()).toEqual(['jens']);
    expect(r.isOpen('a')).toBe(false);
  });
});

describe('counts for limits and the diagnose report', () => {
  it('every connection not yet proven counts as unproven: waiting for connect, challenged, or proving', () => {
    const r = new ClientRegistry();
    for (const [id, phase] of [['1', 'connect'], ['2', 'challenged'], ['3', 'proving'], ['4', 'ready']] as const) r.add(conn(id, { phase }));
    expect(r.unproven()).toBe(3);
  });

  it('lists at most the asked number of sockets', () => {
    const r = registry(...Array.from({ length: 10 }, (_, i) => conn(`c${i}`)));
    expect(r.sockets(4)).toHaveLength(4);
    expect(r.sockets()).toHaveLength(10);
  });
});
