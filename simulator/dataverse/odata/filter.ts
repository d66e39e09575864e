// OData `$filter` as Dataverse accepts it: comparisons (eq ne gt ge lt le), and/or/not,
// parentheses, contains/startswith/endswith, null, GUID and date-time literals, lookup
// properties `_x_value`, and Microsoft.Dynamics.CRM.In. Parsed into a small AST once, then
// evaluated per record. String comparisons ignore case, as SQL Server's collation does in Dataverse.
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
const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*/;

function syntax(message: string): ODataError {
  return new ODataError(400, DV.badRequestSyntax, message);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) { i += 1; continue; }
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

export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text), text).parse();
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

export function evaluate(node: FilterNode, get: Getter): boolean {
  switch (node.kind) {
    case 'and': return evaluate(node.left, get) && evaluate(node.right, get);
    case 'or': return evaluate(node.left, get) || evaluate(node.right, get);
    case 'not': return !evaluate(node.operand, get);
    case 'in': {
      const v = get(node.property);
      return v !== null && node.values.some((x) => compare(v, x) === 0);
    }
    case 'fn': {
      const v = get(node.property);
      if (typeof v !== 'string') return false;
      const hay = v.toLowerCase();
      const needle = node.value.toLowerCase();
      return node.fn === 'contains' ? hay.includes(needle) : node.fn === 'startswith' ? hay.startsWith(needle) : hay.endsWith(needle);
    }
    case 'cmp': {
      const v = get(node.property);
      if (node.value === null || v === null) {
        // SQL semantics as Dataverse applies them: only eq/ne null match; ordering with null is false.
        if (node.op === 'eq') return v === null && node.value === null;
        if (node.op === 'ne') return !(v === null && node.value === null);
        return false;
      }
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
