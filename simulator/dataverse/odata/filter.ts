// OData `$filter` as Dataverse accepts it: comparisons (eq ne gt ge lt le), and/or/not,
// parentheses, contains/startswith/endswith, null, GUID and date-time literals, lookup
// properties `_x_value`, Microsoft.Dynamics.CRM.In, enum literals (`Ns.Type'Value'`) and parameter
// aliases (`@p1`, values from the query string). Parsed into a small AST once, then evaluated per
// record with SQL's three-valued logic: Dataverse runs the filter as SQL, and a row is returned only
// when the condition is true — not when it is false or unknown (a comparison with a null column).
// String comparisons ignore case, as SQL Server's collation does in Dataverse.
import { DV, ODataError } from '../errors.ts';

export type Literal = string | number | boolean | null;
export type FilterNode =
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; property: string; value: Literal; valueKind: LiteralKind }
  | { kind: 'fn'; fn: 'contains' | 'startswith' | 'endswith'; property: string; value: string }
  | { kind: 'in'; property: string; values: string[] }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };
export type LiteralKind = 'string' | 'number' | 'boolean' | 'null' | 'guid' | 'datetime';

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'lit'; v: Literal; kind: LiteralKind; pos: number }
  | { t: 'punct'; v: '(' | ')' | ',' | '=' | '[' | ']'; pos: number };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/;
// Paths (`RequiredLevel/Value`) are one identifier: metadata filters read complex values so.
const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*(?:\/[A-Za-z_][A-Za-z0-9_]*)*/;

function syntax(message: string): ODataError {
  return new ODataError(400, DV.badRequestSyntax, message);
}

/** Parameter aliases of a request: `@p1` → its raw text from the query string. */
export type Aliases = ReadonlyMap<string, string>;

/** The `@name=value` pairs of a query string. */
export function aliasesOf(params: URLSearchParams): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of params) if (/^@[A-Za-z_][A-Za-z0-9_]*$/.test(k)) out.set(k.slice(1), v);
  return out;
}

/** The text of an alias, or a 400 naming it when the request does not define it. */
export function aliasValue(aliases: Aliases, name: string): string {
  const value = aliases.get(name);
  if (value === undefined) throw syntax(`The parameter alias '@${name}' is not defined in the request URI.`);
  return value;
}

function tokenize(text: string, aliases: Aliases = new Map(), nested = false): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) { i += 1; continue; }
    if (ch === '@' && !nested) {
      const name = /^@([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i))?.[1];
      if (name === undefined) throw syntax(`Syntax error at position ${i} in '${text}'.`);
      // An alias stands for a literal or a property name; its own text must not name aliases.
      for (const tok of tokenize(aliasValue(aliases, name), aliases, true)) out.push({ ...tok, pos: i });
      i += name.length + 1;
      continue;
    }
    if (ch === '"') {
      // JSON strings: Dataverse takes them in array arguments such as PropertyValues=["O'Brian"].
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!m) throw syntax(`Syntax error: unterminated string literal at position ${i} in '${text}'.`);
      let v: string;
      try { v = JSON.parse(m[0]) as string; } catch { throw syntax(`Syntax error: invalid string literal at position ${i} in '${text}'.`); }
      out.push({ t: 'lit', v, kind: 'string', pos: i });
      i += m[0].length;
      continue;
    }
    if ('(),=[]'.includes(ch)) { out.push({ t: 'punct', v: ch as '(', pos: i }); i += 1; continue; }
    if (ch === "'") {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= text.length) throw syntax(`Syntax error: unterminated string literal at position ${i} in '${text}'.`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") { s += "'"; j += 2; continue; }
          break;
        }
        s += text[j];
        j += 1;
      }
      out.push({ t: 'lit', v: s, kind: 'string', pos: i });
      i = j + 1;
      continue;
    }
    const rest = text.slice(i);
    const guid = GUID.exec(rest);
    if (guid && !/[0-9a-zA-Z]/.test(rest[guid[0].length] ?? '')) {
      out.push({ t: 'lit', v: guid[0].toLowerCase(), kind: 'guid', pos: i });
      i += guid[0].length;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt && dt[0].length >= 10 && !/[0-9]/.test(rest[dt[0].length] ?? '')) {
      const ms = Date.parse(dt[0].length === 10 ? `${dt[0]}T00:00:00Z` : /[Z+-]\d*:?\d*$/.test(dt[0].slice(10)) ? dt[0] : `${dt[0]}Z`);
      if (Number.isNaN(ms)) throw syntax(`Syntax error: invalid date-time literal '${dt[0]}' at position ${i}.`);
      out.push({ t: 'lit', v: ms, kind: 'datetime', pos: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num) {
      out.push({ t: 'lit', v: Number(num[0].replace(/[mMdDfFlL]$/, '')), kind: 'number', pos: i });
      i += num[0].length;
      continue;
    }
    const id = IDENT.exec(rest);
    if (id && rest[id[0].length] === "'" && id[0].includes('.')) {
      // An enum literal such as Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist': compared by its member name.
      const end = rest.indexOf("'", id[0].length + 1);
      if (end < 0) throw syntax(`Syntax error: unterminated enum literal at position ${i} in '${text}'.`);
      out.push({ t: 'lit', v: rest.slice(id[0].length + 1, end), kind: 'string', pos: i });
      i += end + 1;
      continue;
    }
    if (id) {
      const v = id[0];
      if (v === 'true' || v === 'false') out.push({ t: 'lit', v: v === 'true', kind: 'boolean', pos: i });
      else if (v === 'null') out.push({ t: 'lit', v: null, kind: 'null', pos: i });
      else out.push({ t: 'ident', v, pos: i });
      i += v.length;
      continue;
    }
    throw syntax(`Syntax error at position ${i} in '${text}'.`);
  }
  return out;
}

const CMP = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly text: string) {}

  parse(): FilterNode {
    const node = this.or();
    const extra = this.tokens[this.i];
    if (extra) throw syntax(`Syntax error at position ${extra.pos} in '${this.text}'.`);
    return node;
  }

  private peekIdent(word: string): boolean {
    const tok = this.tokens[this.i];
    return tok?.t === 'ident' && tok.v === word;
  }

  private expect(v: string): void {
    const tok = this.tokens[this.i];
    if (tok?.t !== 'punct' || tok.v !== v) throw syntax(`Syntax error: '${v}' expected at position ${tok?.pos ?? this.text.length} in '${this.text}'.`);
    this.i += 1;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peekIdent('or')) { this.i += 1; left = { kind: 'or', left, right: this.and() }; }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.peekIdent('and')) { this.i += 1; left = { kind: 'and', left, right: this.unary() }; }
    return left;
  }

  private unary(): FilterNode {
    if (this.peekIdent('not')) { this.i += 1; return { kind: 'not', operand: this.unary() }; }
    const tok = this.tokens[this.i];
    if (tok?.t === 'punct' && tok.v === '(') {
      this.i += 1;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (tok?.t !== 'ident') throw syntax(`Syntax error at position ${tok?.pos ?? this.text.length} in '${this.text}'.`);
    this.i += 1;
    const next = this.tokens[this.i];
    if (next?.t === 'punct' && next.v === '(') return this.call(tok.v, tok.pos);
    const op = this.tokens[this.i];
    if (op?.t !== 'ident' || !CMP.has(op.v)) throw syntax(`Syntax error: comparison operator expected after '${tok.v}' at position ${op?.pos ?? this.text.length} in '${this.text}'.`);
    this.i += 1;
    const lit = this.tokens[this.i];
    if (lit?.t !== 'lit') throw syntax(`Syntax error: literal expected at position ${lit?.pos ?? this.text.length} in '${this.text}'.`);
    this.i += 1;
    return { kind: 'cmp', op: op.v as 'eq', property: tok.v, value: lit.v, valueKind: lit.kind };
  }

  private call(name: string, pos: number): FilterNode {
    this.expect('(');
    if (name === 'contains' || name === 'startswith' || name === 'endswith') {
      const prop = this.tokens[this.i];
      if (prop?.t !== 'ident') throw syntax(`Syntax error: property expected in ${name}() at position ${pos}.`);
      this.i += 1;
      this.expect(',');
      const lit = this.tokens[this.i];
      if (lit?.t !== 'lit' || lit.kind !== 'string') throw syntax(`Syntax error: string literal expected in ${name}() at position ${pos}.`);
      this.i += 1;
      this.expect(')');
      return { kind: 'fn', fn: name, property: prop.v, value: lit.v as string };
    }
    if (name === 'Microsoft.Dynamics.CRM.In') {
      const args = this.namedArgs();
      const prop = args.get('PropertyName');
      const values = args.get('PropertyValues');
      if (typeof prop !== 'string' || !Array.isArray(values)) throw syntax(`Microsoft.Dynamics.CRM.In needs PropertyName and PropertyValues.`);
      return { kind: 'in', property: prop, values: values.map(String) };
    }
    throw new ODataError(400, DV.badRequestSyntax, `An unknown function with name '${name}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`);
  }

  private namedArgs(): Map<string, Literal | Literal[]> {
    const args = new Map<string, Literal | Literal[]>();
    for (;;) {
      const name = this.tokens[this.i];
      if (name?.t !== 'ident') throw syntax(`Syntax error: parameter name expected in '${this.text}'.`);
      this.i += 1;
      this.expect('=');
      const tok = this.tokens[this.i];
      if (tok?.t === 'punct' && tok.v === '[') {
        this.i += 1;
        const list: Literal[] = [];
        while (this.tokens[this.i]?.t === 'lit') {
          list.push((this.tokens[this.i] as { v: Literal }).v);
          this.i += 1;
          const sep = this.tokens[this.i];
          if (sep?.t === 'punct' && sep.v === ',') this.i += 1;
        }
        this.expect(']');
        args.set(name.v, list);
      } else if (tok?.t === 'lit') {
        args.set(name.v, tok.v);
        this.i += 1;
      } else throw syntax(`Syntax error: value expected for '${name.v}' in '${this.text}'.`);
      const sep = this.tokens[this.i];
      if (sep?.t === 'punct' && sep.v === ',') { this.i += 1; continue; }
      this.expect(')');
      return args;
    }
  }
}

export function parseFilter(text: string, aliases: Aliases = new Map()): FilterNode {
  return new Parser(tokenize(text, aliases), text).parse();
}

/** Properties a filter reads, so the caller can check them against the metadata first. */
export function filterProperties(node: FilterNode, out: Set<string> = new Set()): Set<string> {
  switch (node.kind) {
    case 'and': case 'or': filterProperties(node.left, out); filterProperties(node.right, out); break;
    case 'not': filterProperties(node.operand, out); break;
    default: out.add(node.property);
  }
  return out;
}

/** Comparable form of a value: strings fold case; date-times become epoch ms. */
export type Getter = (property: string) => string | number | boolean | null;

function compare(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** SQL's three-valued result: null is "unknown" (a comparison that involves a null column). */
type Truth = boolean | null;

function evaluate3(node: FilterNode, get: Getter): Truth {
  switch (node.kind) {
    case 'and': {
      const l = evaluate3(node.left, get);
      if (l === false) return false;
      const r = evaluate3(node.right, get);
      return r === false ? false : l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evaluate3(node.left, get);
      if (l === true) return true;
      const r = evaluate3(node.right, get);
      return r === true ? true : l === null || r === null ? null : false;
    }
    case 'not': {
      const v = evaluate3(node.operand, get);
      return v === null ? null : !v;
    }
    case 'in': {
      const v = get(node.property);
      return v === null ? null : node.values.some((x) => compare(v, x) === 0);
    }
    case 'fn': {
      const v = get(node.property);
      if (v === null) return null;
      if (typeof v !== 'string') return false;
      const hay = v.toLowerCase();
      const needle = node.value.toLowerCase();
      return node.fn === 'contains' ? hay.includes(needle) : node.fn === 'startswith' ? hay.startsWith(needle) : hay.endsWith(needle);
    }
    case 'cmp': {
      const v = get(node.property);
      if (node.value === null) {
        // `eq null` / `ne null` become IS NULL / IS NOT NULL; ordering against null is unknown.
        if (node.op === 'eq') return v === null;
        if (node.op === 'ne') return v !== null;
        return null;
      }
      // A null column compared with a value is unknown in SQL, also for `ne`: such rows are not returned.
      if (v === null) return null;
      const c = compare(v, node.value);
      switch (node.op) {
        case 'eq': return c === 0;
        case 'ne': return c !== 0;
        case 'gt': return c > 0;
        case 'ge': return c >= 0;
        case 'lt': return c < 0;
        case 'le': return c <= 0;
      }
    }
  }
}

/** Whether a record is returned: only when the filter is true (not false, not unknown). */
export function evaluate(node: FilterNode, get: Getter): boolean {
  return evaluate3(node, get) === true;
}
