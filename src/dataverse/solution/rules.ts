// The rules no XSD sees: privilege names that exist, every table and column
// the manager and the browser client use present with the right type, option
// values in the publisher's range, legal web resource names, lower-case
// schema names, and references that resolve. One sentence per problem.
import { clientSchemaNames } from '../../client/schema-names.ts';
import { privilegeName, requiredPrivileges } from '../check.ts';
import { createSchema, type AttributeSpec } from '../schema.ts';
import { customTables, ROLE_IDS, VERBS, WEB_RESOURCE_NAME } from './model.ts';
import type { SolutionPackage } from './read.ts';

/** Privileges of standard tables and miscellaneous privileges a role of ours may hold. */
const STANDARD_PRIVILEGE_TABLES = ['Account', 'Contact', 'Lead', 'User', 'Team', 'Role', 'BusinessUnit', 'Organization', 'UserSettings', 'Activity', 'Solution', 'WebResource', 'SystemForm'];
const MISC_PRIVILEGES = ['prvActOnBehalfOfAnotherUser', 'prvPublishCustomizations', 'prvImportCustomizations', 'prvBulkDelete'];

export function knownPrivileges(tables: readonly string[]): Set<string> {
  const out = new Set<string>(MISC_PRIVILEGES);
  for (const t of [...STANDARD_PRIVILEGE_TABLES, ...tables]) for (const v of VERBS) out.add(`prv${v}${t}`);
  return out;
}

const DATA_TYPE: Record<AttributeSpec['type'], string> = {
  string: 'nvarchar', memo: 'ntext', int: 'int', decimal: 'decimal', datetime: 'datetime', boolean: 'bit',
  picklist: 'picklist', lookup: 'lookup', uniqueidentifier: 'primarykey',
};

function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return bestScore <= 3 ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function privilegeRules(pkg: SolutionPackage, problems: string[]): void {
  const known = knownPrivileges(pkg.tables.map((t) => t.name));
  for (const role of pkg.roles) {
    for (const p of role.privileges) {
      if (known.has(p.name)) continue;
      const hint = closest(p.name, known);
      problems.push(`role "${role.name}": privilege "${p.name}" does not exist${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}`);
    }
  }
  const manager = pkg.roles.find((r) => r.id === ROLE_IDS.manager);
  if (manager === undefined) {
    problems.push(`the role "TapiManager Account" (id ${ROLE_IDS.manager}) is missing`);
    return;
  }
  const held = new Map(manager.privileges.map((p) => [p.name.toLowerCase(), p.level]));
  for (const r of requiredPrivileges(pkg.prefix)) {
    const name = privilegeName(r);
    const level = held.get(name.toLowerCase());
    if (level === undefined) problems.push(`role "TapiManager Account" lacks ${name}, which the manager uses for ${r.why}`);
    else if (r.organisationWide === true && level !== 'Global') problems.push(`role "TapiManager Account" holds ${name} at depth ${level}; the manager needs Global for ${r.why}`);
  }
}

function columnRules(pkg: SolutionPackage, problems: string[]): void {
  const byName = new Map(pkg.tables.map((t) => [t.name, t]));
  const schema = createSchema(pkg.prefix);
  for (const spec of Object.values(customTables(schema))) {
    const table = byName.get(spec.logicalName);
    if (table === undefined) {
      problems.push(`table ${spec.logicalName}, which the manager uses, is missing`);
      continue;
    }
    if (table.entitySet !== spec.entitySet) problems.push(`table ${spec.logicalName}: entity set "${table.entitySet}", the manager uses "${spec.entitySet}"`);
    const columns = new Map(table.columns.map((c) => [c.name, c]));
    for (const attr of Object.values(spec.attributes)) {
      const col = columns.get(attr.name);
      if (col === undefined) {
        problems.push(`column ${spec.logicalName}.${attr.name}, which the manager uses, is missing`);
        continue;
      }
      if (col.type !== DATA_TYPE[attr.type]) problems.push(`column ${spec.logicalName}.${attr.name} has type ${col.type}; the manager uses it as ${DATA_TYPE[attr.type]}`);
      if (attr.type === 'picklist') {
        const have = new Set((col.options ?? []).map((o) => o.value));
        for (const [code, value] of Object.entries(attr.options ?? {})) if (!have.has(value)) problems.push(`column ${spec.logicalName}.${attr.name} lacks option ${value} (${code})`);
      }
      if (attr.type === 'lookup') {
        for (const target of attr.targets ?? []) {
          if (!pkg.relationships.some((r) => r.referencing === spec.logicalName && r.attribute === attr.name && r.referenced === target)) {
            problems.push(`lookup ${spec.logicalName}.${attr.name} has no relationship to ${target}`);
          }
        }
      }
    }
  }
  const client = clientSchemaNames(pkg.prefix);
  const need: [string, string][] = [
    [client.lineConfig.logicalName, client.lineConfig.kind], [client.lineConfig.logicalName, client.lineConfig.line],
    [client.lineConfig.logicalName, client.lineConfig.webSocketUrl], [client.lineConfig.logicalName, client.lineConfig.id],
    [client.clientSession.logicalName, client.clientSession.name], [client.clientSession.logicalName, client.clientSession.nonce],
    [client.clientSession.logicalName, client.clientSession.clientInstance],
  ];
  for (const [t, c] of need) {
    const table = byName.get(t);
    if (table !== undefined && !table.columns.some((x) => x.name === c)) problems.push(`column ${t}.${c}, which the browser client uses, is missing`);
  }
}

function optionRules(pkg: SolutionPackage, problems: string[]): void {
  const low = pkg.optionValuePrefix * 10_000;
  for (const t of pkg.tables) {
    for (const c of t.columns) {
      if (c.type !== 'picklist' || !c.custom) continue;
      for (const o of c.options ?? []) {
        if (o.value < low || o.value > low + 9_999) problems.push(`column ${t.name}.${c.name}: option value ${o.value} is outside the publisher's range ${low}–${low + 9_999}`);
        for (const lang of ['1033', '1031']) if ((o.labels[lang] ?? '') === '') problems.push(`column ${t.name}.${c.name}: option ${o.value} has no label for language ${lang}`);
      }
    }
  }
}

function nameRules(pkg: SolutionPackage, problems: string[]): void {
  const prefix = `${pkg.prefix}_`;
  const lower = (what: string, name: string): void => {
    if (name !== name.toLowerCase()) problems.push(`${what} "${name}" is not lower case (privilege and navigation names follow the schema name)`);
  };
  for (const t of pkg.tables) {
    lower('table', t.name);
    if (!t.name.startsWith(prefix)) problems.push(`table "${t.name}" does not start with the publisher prefix ${prefix}`);
    for (const c of t.columns.filter((x) => x.custom)) {
      lower(`column of ${t.name}`, c.name);
      if (!c.name.startsWith(prefix)) problems.push(`column ${t.name}.${c.name} does not start with the publisher prefix ${prefix}`);
    }
  }
  for (const w of pkg.webResources) {
    if (!WEB_RESOURCE_NAME.test(w.name) || w.name.includes('//')) {
      problems.push(`web resource name "${w.name}" is illegal: use letters, digits, ".", "_" and single "/" (no hyphens, spaces or "//")`);
    }
    if (!w.name.startsWith(prefix)) problems.push(`web resource "${w.name}" does not start with the publisher prefix ${prefix}`);
    if (!pkg.entries.has(w.fileName.replace(/^\//, ''))) problems.push(`web resource "${w.name}": its file ${w.fileName} is not in the zip`);
  }
  const names = new Set(pkg.webResources.map((w) => w.name));
  for (const ref of new Set([...pkg.customizationsText.matchAll(/\$webresource:([^"'<\s]+)/g)].map((m) => m[1] ?? ''))) {
    if (!names.has(ref)) problems.push(`$webresource:${ref} is referenced but not in the solution`);
  }
}

function rootComponentRules(pkg: SolutionPackage, problems: string[]): void {
  const roots = (Array.isArray(pkg.manifest['RootComponents']) ? [] : [pkg.manifest['RootComponents']]) as unknown[];
  const list = roots.flatMap((r) => {
    const rc = (r as Record<string, unknown> | undefined)?.['RootComponent'];
    return Array.isArray(rc) ? (rc as Record<string, string>[]) : [];
  });
  const has = (type: string, key: string): boolean => list.some((c) => c['@_type'] === type && ((c['@_schemaName'] ?? '') === key || (c['@_id'] ?? '').replace(/[{}]/g, '').toLowerCase() === key));
  for (const t of pkg.tables) if (!has('1', t.name)) problems.push(`table ${t.name} is not a root component of solution.xml`);
  for (const r of pkg.roles) if (!has('20', r.id)) problems.push(`role "${r.name}" is not a root component of solution.xml`);
  for (const w of pkg.webResources) if (!has('61', w.name)) problems.push(`web resource ${w.name} is not a root component of solution.xml`);
}

export function lintSolution(pkg: SolutionPackage): string[] {
  const problems: string[] = [];
  privilegeRules(pkg, problems);
  columnRules(pkg, problems);
  optionRules(pkg, problems);
  nameRules(pkg, problems);
  rootComponentRules(pkg, problems);
  return problems;
}

