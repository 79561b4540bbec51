// The filter language of entity.find / entity.count / entity.bulkDelete (spec capture-api §4), parsed
// by recursive descent: one function per rule of this grammar.
//
//   filter  := expr EOF
//   expr    := orExpr
//   orExpr  := andExpr ("or" andExpr)*
//   andExpr := eqExpr ("and" eqExpr)*
//   eqExpr  := relExpr (("=" | "!=") relExpr)?
//   relExpr := unary ((">" | ">=" | "<" | "<=") unary)?
//   unary   := ("not" | "!") unary | postfix
//   postfix := primary ("is" "not"? "null")?
//   primary := "(" expr ")" | path | string | number | "true" | "false"
//   path    := "/"? ident (("." | "/") ident)*
//   ident   := [A-Za-z_][A-Za-z0-9_]*          (not a keyword)
//   string  := "'" ( "\\" | "\'" | "''" | any other character )* "'"
//   number  := "-"? digits ("." digits)?
//
// Keywords (and or not is null true false) are case-insensitive. Pure: no I/O; every problem is a
// DataError — 200 on `filter` with the 1-based position, or 485 for the removed `contains`.
import { DataError } from '../schema/data-error.js';
import type { CompareOp, FilterNode, PathNode } from './ast.js';

export const MAX_FILTER_LENGTH = 65_536;
export const MAX_FILTER_DEPTH = 100;

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false']);

type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; text: string; pos: number }
  | { kind: 'op'; text: '(' | ')' | '/' | '.' | '!' | CompareOp; pos: number }
  | { kind: 'end'; pos: number };

function syntaxError(reason: string): DataError {
  return new DataError(200, `filter was not valid for the following reason: ${reason}`, undefined, 'filter');
}

const where = (t: Token): string => (t.kind === 'end' ? 'at the end' : `at position ${t.pos}`);

function describe(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end of the filter';
    case 'ident':
      return `'${t.text}'`;
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const pos = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
    } else if (c === "'") {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw syntaxError(`the string starting at position ${pos} has no closing quote`);
        const d = text[i];
        if (d === '\\' && (text[i + 1] === '\\' || text[i + 1] === "'")) {
          value += text[i + 1];
          i += 2;
        } else if (d === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (d === "'") {
          i += 1;
          break;
        } else {
          value += d;
          i += 1;
        }
      }
      tokens.push({ kind: 'string', value, pos });
    } else if (c === '"') {
      throw syntaxError(`strings are written in single quotes ('like this'), found " at position ${pos}`);
    } else if (DIGIT.test(c) || (c === '-' && DIGIT.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (DIGIT.test(text[j] ?? '')) j += 1;
      if (text[j] === '.') {
        if (!DIGIT.test(text[j + 1] ?? '')) throw syntaxError(`a number needs digits after its decimal point at position ${j + 1}`);
        j += 1;
        while (DIGIT.test(text[j] ?? '')) j += 1;
      }
      if (IDENT_PART.test(text[j] ?? '') || text[j] === '.') throw syntaxError(`unexpected '${text[j] ?? ''}' after the number at position ${j + 1}`);
      tokens.push({ kind: 'number', text: text.slice(i, j), pos });
      i = j;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (IDENT_PART.test(text[j] ?? '')) j += 1;
      tokens.push({ kind: 'ident', text: text.slice(i, j), pos });
      i = j;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '>=' || two === '<=') {
        tokens.push({ kind: 'op', text: two, pos });
        i += 2;
      } else if (c === '(' || c === ')' || c === '/' || c === '.' || c === '!' || c === '=' || c === '<' || c === '>') {
        tokens.push({ kind: 'op', text: c, pos });
        i += 1;
      } else {
        const shown = /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `the character U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
        throw syntaxError(`unexpected ${shown} at position ${pos}`);
      }
    }
  }
  tokens.push({ kind: 'end', pos: text.length + 1 });
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', pos: 0 };
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.index += 1;
    return t;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }

  private nest<T>(fn: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_FILTER_DEPTH) throw syntaxError(`the filter nests deeper than ${MAX_FILTER_DEPTH} levels ${where(this.peek())}`);
    try {
      return fn();
    } finally {
      this.depth -= 1;
    }
  }

  // filter := expr EOF
  filter(): FilterNode {
    if (this.peek().kind === 'end') throw syntaxError('the filter is empty');
    const node = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') {
      if (this.isKeyword(t, 'contains')) throw containsError();
      throw syntaxError(`expected and, or or the end of the filter but found ${describe(t)} ${where(t)}`);
    }
    return node;
  }

  // expr := orExpr
  private expr(): FilterNode {
    return this.orExpr();
  }

  // orExpr := andExpr ("or" andExpr)*
  private orExpr(): FilterNode {
    const items = [this.andExpr()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      items.push(this.andExpr());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'or', items };
  }

  // andExpr := eqExpr ("and" eqExpr)*
  private andExpr(): FilterNode {
    const items = [this.eqExpr()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      items.push(this.eqExpr());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'and', items };
  }

  // eqExpr := relExpr (("=" | "!=") relExpr)?
  private eqExpr(): FilterNode {
    const left = this.relExpr();
    const t = this.peek();
    if (t.kind !== 'op' || (t.text !== '=' && t.text !== '!=')) return left;
    this.next();
    const right = this.relExpr();
    if (this.isOp(this.peek(), '=', '!=')) throw syntaxError(`comparisons cannot be chained; use and ${where(this.peek())}`);
    return { kind: 'compare', op: t.text as CompareOp, left, right };
  }

  // relExpr := unary ((">" | ">=" | "<" | "<=") unary)?
  private relExpr(): FilterNode {
    const left = this.unary();
    const t = this.peek();
    if (t.kind !== 'op' || (t.text !== '<' && t.text !== '<=' && t.text !== '>' && t.text !== '>=')) return left;
    this.next();
    const right = this.unary();
    if (this.isOp(this.peek(), '<', '<=', '>', '>=')) throw syntaxError(`comparisons cannot be chained; use and ${where(this.peek())}`);
    return { kind: 'compare', op: t.text as CompareOp, left, right };
  }

  // unary := ("not" | "!") unary | postfix
  private unary(): FilterNode {
    const t = this.peek();
    if (this.isKeyword(t, 'not') || this.isOp(t, '!')) {
      this.next();
      return this.nest(() => ({ kind: 'not', operand: this.unary() }));
    }
    return this.postfix();
  }

  // postfix := primary ("is" "not"? "null")?
  private postfix(): FilterNode {
    const operand = this.primary();
    if (!this.isKeyword(this.peek(), 'is')) return operand;
    this.next();
    let negated = false;
    if (this.isKeyword(this.peek(), 'not')) {
      this.next();
      negated = true;
    }
    const t = this.next();
    if (!this.isKeyword(t, 'null')) throw syntaxError(`expected null after ${negated ? 'is not' : 'is'} but found ${describe(t)} ${where(t)}`);
    return { kind: 'isNull', operand, negated };
  }

  // primary := "(" expr ")" | path | string | number | "true" | "false"
  private primary(): FilterNode {
    const t = this.peek();
    if (this.isOp(t, '(')) {
      this.next();
      const inner = this.nest(() => this.expr());
      const close = this.next();
      if (!this.isOp(close, ')')) {
        if (this.isKeyword(close, 'contains')) throw containsError();
        throw syntaxError(`expected ')' to close the '(' at position ${t.pos} but found ${describe(close)} ${where(close)}`);
      }
      return inner;
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.value };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', text: t.text };
    }
    if (this.isKeyword(t, 'true') || this.isKeyword(t, 'false')) {
      this.next();
      return { kind: 'boolean', value: t.kind === 'ident' && t.text.toLowerCase() === 'true' };
    }
    if (this.isKeyword(t, 'null')) throw syntaxError(`null is only written as 'is null' or 'is not null' ${where(t)}`);
    if (t.kind === 'ident' || this.isOp(t, '/')) return this.path();
    throw syntaxError(`expected an attribute or a value but found ${describe(t)} ${where(t)}`);
  }

  // path := "/"? ident (("." | "/") ident)*
  private path(): PathNode {
    if (this.isOp(this.peek(), '/')) this.next();
    const names = [this.ident()];
    while (this.isOp(this.peek(), '.', '/')) {
      this.next();
      names.push(this.ident());
    }
    return { kind: 'path', names };
  }

  private ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw syntaxError(`expected an attribute name but found ${describe(t)} ${where(t)}`);
    if (KEYWORDS.has(t.text.toLowerCase())) throw syntaxError(`expected an attribute name but found the keyword ${t.text} ${where(t)}`);
    if (t.text.toLowerCase() === 'contains') throw containsError();
    return t.text;
  }
}

function containsError(): DataError {
  return new DataError(485, 'filter was not valid for the following reason: the contains operator is not supported; compare whole values with =', undefined, 'filter');
}

/** Parses filter text into its syntax tree. */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw syntaxError('the filter must be text');
  if (text.length > MAX_FILTER_LENGTH) throw syntaxError(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(tokenize(text));
  const node = parser.filter();
  return node;
}
