// Who may see and use which line (issue 7 item 5, spec/vendor-manual.md §3): a user's
// lines are the user line records where they are the user, plus records
// shared with them or with a team they belong to. Pure: the loader reads the
// CRM, this computes the table, so a property test can check it against a
// naive definition over random assignments.
import type { LineConfigRecord, LineShare } from '../../dataverse/repositories/index.ts';
import type { LineName } from '../contracts.ts';

/** How a user came to a line; when several apply, the first of this list wins. */
export const GRANT_KINDS = ['own', 'user-share', 'team-share'] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];

export interface Grant {
  line: LineName;
  /** The record whose settings apply to this user on this line (several users, one line: each their own). */
  record: LineConfigRecord;
  via: GrantKind;
}

export interface EntitlementInput {
  /** Every line configuration record (all kinds), oldest first. */
  records: readonly LineConfigRecord[];
  shares: readonly LineShare[];
  /** Members of every team that appears in `shares`. */
  teamMembers: ReadonlyMap<string, readonly string[]>;
}

export class EntitlementTable {
  private readonly byUser = new Map<string, Map<LineName, Grant>>();
  private readonly byLine = new Map<LineName, Set<string>>();
  readonly recordsById: ReadonlyMap<string, LineConfigRecord>;
  /** Users configured on each line in the entity (the record's own user), for the diagnose report. */
  readonly entityLines: ReadonlyMap<LineName, readonly string[]>;

  /** Set only inside `build`: the constructor leaves the filling to it. */
  private static building = false;
  /** What is left to add: empty once the table is complete (at once, unless `build` fills it). */
  private readonly steps: Generator<void>;

  constructor(input: EntitlementInput) {
    this.recordsById = new Map(input.records.map((r) => [r.id, r]));
    this.entityLines = new Map();
    this.steps = this.fill(input);
    if (!EntitlementTable.building) for (const _ of this.steps);
  }

  /**
   * The same table, built a slice of `perTurn` records and shares per event-loop turn: at 10,000
   * line records one build held the manager's loop 27–54 ms (issue 18, a connector's reconnect).
   */
  static async build(input: EntitlementInput, perTurn = 1000): Promise<EntitlementTable> {
    EntitlementTable.building = true;
    let table: EntitlementTable;
    try {
      table = new EntitlementTable(input);
    } finally {
      EntitlementTable.building = false;
    }
    let n = 0;
    for (const _ of table.steps) {
      if ((n += 1) % perTurn === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return table;
  }

  /** Adds every grant of `input`, one step per record or share. */
  private *fill(input: EntitlementInput): Generator<void> {
    const entity = this.entityLines as Map<LineName, string[]>;
    for (const record of input.records) {
      yield;
      if (record.kind !== 'userLine' || record.line === undefined) continue;
      const users = entity.get(record.line) ?? [];
      if (record.userId !== undefined && !users.includes(record.userId)) users.push(record.userId);
      entity.set(record.line, users);
      if (record.userId !== undefined) this.offer(record.userId, record, 'own');
    }
    for (const share of input.shares) {
      yield;
      const record = this.recordsById.get(share.lineId);
      if (record === undefined || record.kind !== 'userLine' || record.line === undefined) continue;
      if (share.principalType === 'systemuser') this.offer(share.principalId, record, 'user-share');
      else for (const member of input.teamMembers.get(share.principalId) ?? []) this.offer(member, record, 'team-share');
    }
  }

  private offer(userId: string, record: LineConfigRecord, via: GrantKind): void {
    const line = record.line as LineName;
    let lines = this.byUser.get(userId);
    if (lines === undefined) this.byUser.set(userId, (lines = new Map()));
    const held = lines.get(line);
    // Records arrive oldest first, so among grants of one kind the oldest record wins.
    if (held !== undefined && GRANT_KINDS.indexOf(held.via) <= GRANT_KINDS.indexOf(via)) return;
    lines.set(line, { line, record, via });
    let users = this.byLine.get(line);
    if (users === undefined) this.byLine.set(line, (users = new Set()));
    users.add(userId);
  }

  /** The user's lines, sorted by name. */
  linesOf(userId: string): Grant[] {
    return [...(this.byUser.get(userId)?.values() ?? [])].sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  }

  usersOf(line: LineName): readonly string[] {
    return [...(this.byLine.get(line) ?? [])];
  }

  grant(userId: string, line: LineName): Grant | undefined {
    return this.byUser.get(userId)?.get(line);
  }

  users(): string[] {
    return [...this.byUser.keys()];
  }
}

export const EMPTY_TABLE = new EntitlementTable({ records: [], shares: [], teamMembers: new Map() });
