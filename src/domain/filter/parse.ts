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
// Keywords (and or not is null true false) are case-insensitive. Whitespace (space, tab, line breaks)
// may separate any two tokens. A string keeps every character between its quotes; `\` before anything
// but `\` or `'` is an ordinary character. Nesting (parentheses plus not/!) is limited to 100 levels
// and the text to 65536 UTF-16 units, so no input can exhaust the stack.
//
// Pure: no I/O. Every problem is a DataError: 200 on `filter` whose reason ends with the 1-based
// position (in code points) of the offending token, or 485 for the removed `contains` operator.
import { DataError } from '../schema/data-error.js';
import type { CompareOp, FilterNode } from './ast.js';

export const MAX_FILTER_LENGTH = 65_536;
export const MAX_FILTER_DEPTH = 100;

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false']);

type SymbolText = '(' | ')' | '/' | '.' | '!' | CompareOp;

/** `at` is the token's index in the text (UTF-16 units); messages turn it into a position. */
type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'number'; text: string; at: number }
  | { kind: 'symbol'; text: SymbolText; at: number }
  | { kind: 'end'; at: number };

const PREFIX = 'filter was not valid for the following reason: ';

function invalid(reason: string): DataError {
  return new DataError(200, PREFIX + reason, undefined, 'filter');
}

function containsError(): DataError {
  return new DataError(485, `${PREFIX}the contains operator is not supported; compare whole values with =`, undefined, 'filter');
}

const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** ` at position N`: N counts code points from 1 (a surrogate pair is one character, a lone surrogate too). */
function positionOf(text: string, index: number): string {
  let position = 1;
  for (let i = 0; i < index; i += 1) {
    if (isHigh(text.charCodeAt(i)) && i + 1 < index && isLow(text.charCodeAt(i + 1))) i += 1;
    position += 1;
  }
  return ` at position ${position}`;
}

/** A character that is not whitespace, as a message shows it: `'&'`, or `U+0000` when not printable ASCII. */
function charName(text: string, index: number): string {
  const c = text[index] ?? '';
  if (/^[\x21-\x7e]$/.test(c)) return `'${c}'`;
  return `U+${(text.codePointAt(index) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** One character of the text (or the end) as a message shows it. */
function describeChar(text: string, index: number): string {
  if (index >= text.length) return 'the end of the filter';
  const c = text[index];
  if (c === ' ') return 'a space';
  if (c === '\t') return 'a tab';
  if (c === '\n' || c === '\r') return 'a line break';
  const name = charName(text, index);
  return name.startsWith('U+') ? `the character ${name}` : name;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${t.text}`;
    case 'word':
    case 'symbol':
      return `'${t.text}'`;
  }
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z_]$/.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const fail = (reason: string, index: number): DataError => invalid(reason + positionOf(text, index));
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
    } else if (c === "'") {
      i = readString(text, i, tokens, fail);
    } else if (c === '"') {
      throw fail(`strings are written in single quotes but found '"'`, i);
    } else if (isDigit(c) || c === '-') {
      if (c === '-' && !isDigit(text[i + 1])) throw fail(`expected a digit after '-' but found ${describeChar(text, i + 1)}`, i + 1);
      i += 1;
      while (isDigit(text[i])) i += 1;
      if (text[i] === '.') {
        if (!isDigit(text[i + 1])) throw fail(`expected a digit after the decimal point but found ${describeChar(text, i + 1)}`, i + 1);
        i += 1;
        while (isDigit(text[i])) i += 1;
      }
      const number = text.slice(start, i);
      if (isIdentPart(text[i]) || text[i] === '.') throw fail(`expected an operator after the number ${number} but found ${describeChar(text, i)}`, i);
      tokens.push({ kind: 'number', text: number, at: start });
    } else if (isIdentStart(c)) {
      i += 1;
      while (isIdentPart(text[i])) i += 1;
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
    } else {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '>=' || two === '<=') {
        tokens.push({ kind: 'symbol', text: two, at: start });
        i += 2;
      } else if (c === '(' || c === ')' || c === '/' || c === '.' || c === '!' || c === '=' || c === '<' || c === '>') {
        tokens.push({ kind: 'symbol', text: c, at: start });
        i += 1;
      } else {
        throw fail(`unexpected character ${charName(text, i)}`, i);
      }
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

/** Reads the string whose opening quote is at `open`; returns the index after its closing quote. */
function readString(text: string, open: number, tokens: Token[], fail: (reason: string, index: number) => DataError): number {
  const parts: string[] = [];
  let i = open + 1;
  let from = i;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw fail('expected a closing quote for the string starting', open);
    if (c === "'" && text[i + 1] !== "'") break;
    if ((c === '\\' && (text[i + 1] === '\\' || text[i + 1] === "'")) || c === "'") {
      // `\\`, `\'` and `''`: keep the second character only.
      parts.push(text.slice(from, i));
      from = i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  parts.push(text.slice(from, i));
  tokens.push({ kind: 'string', value: parts.join(''), at: open });
  return i + 1;
}

const EQUALITY = new Set<string>(['=', '!=']);
const RELATIONAL = new Set<string>(['<', '<=', '>', '>=']);

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', at: this.text.length };
  }

  /** The token before the current one, if any. */
  private previous(): Token | undefined {
    return this.index > 0 ? this.tokens[this.index - 1] : undefined;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.index += 1;
    return t;
  }

  private fail(reason: string, t: Token): DataError {
    return invalid(reason + positionOf(this.text, t.at));
  }

  private static isWord(t: Token, word: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }

  private static isSymbol(t: Token, symbols: ReadonlySet<string>): t is Token & { kind: 'symbol' } {
    return t.kind === 'symbol' && symbols.has(t.text);
  }

  private static isSymbolText(t: Token, symbol: SymbolText): boolean {
    return t.kind === 'symbol' && t.text === symbol;
  }

  /** Runs one level of nesting (a parenthesis or a not/!), refusing the level past the limit. */
  private nested<T>(opener: Token, parse: () => T): T {
    if (this.depth >= MAX_FILTER_DEPTH) throw this.fail(`the filter nests more than ${MAX_FILTER_DEPTH} levels deep`, opener);
    this.depth += 1;
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  /** What may stand where an expression ended but `t` was found instead. */
  private unexpectedAfterExpression(t: Token, expected: string): DataError {
    if (Parser.isWord(t, 'contains')) return containsError();
    return this.fail(`${expected} but found ${describe(t)}`, t);
  }

  // filter := expr EOF
  filter(): FilterNode {
    if (this.peek().kind === 'end') throw invalid('the filter is empty');
    const node = this.expr();
    const t = this.peek();
    if (t.kind === 'end') return node;
    if (Parser.isSymbolText(t, ')')) throw this.fail("expected an operator or the end of the filter but found ')' without a matching '('", t);
    throw this.unexpectedAfterExpression(t, 'expected an operator or the end of the filter');
  }

  // expr := orExpr
  private expr(): FilterNode {
    return this.orExpr();
  }

  // orExpr := andExpr ("or" andExpr)*
  private orExpr(): FilterNode {
    const items = [this.andExpr()];
    while (Parser.isWord(this.peek(), 'or')) {
      this.next();
      items.push(this.andExpr());
    }
    const [first] = items;
    return items.length === 1 && first !== undefined ? first : { kind: 'or', items };
  }

  // andExpr := eqExpr ("and" eqExpr)*
  private andExpr(): FilterNode {
    const items = [this.eqExpr()];
    while (Parser.isWord(this.peek(), 'and')) {
      this.next();
      items.push(this.eqExpr());
    }
    const [first] = items;
    return items.length === 1 && first !== undefined ? first : { kind: 'and', items };
  }

  // eqExpr := relExpr (("=" | "!=") relExpr)?
  private eqExpr(): FilterNode {
    const left = this.relExpr();
    const op = this.peek();
    if (!Parser.isSymbol(op, EQUALITY)) return left;
    this.next();
    const right = this.relExpr();
    this.refuseChain(EQUALITY);
    return { kind: 'compare', op: op.text as CompareOp, left, right };
  }

  // relExpr := unary ((">" | ">=" | "<" | "<=") unary)?
  private relExpr(): FilterNode {
    const left = this.unary();
    const op = this.peek();
    if (!Parser.isSymbol(op, RELATIONAL)) return left;
    this.next();
    const right = this.unary();
    this.refuseChain(RELATIONAL);
    return { kind: 'compare', op: op.text as CompareOp, left, right };
  }

  /** `a = b = c` and `a < b < c` have no meaning: the operators do not associate. */
  private refuseChain(ops: ReadonlySet<string>): void {
    const t = this.peek();
    if (Parser.isSymbol(t, ops)) throw this.fail(`comparisons cannot be chained; expected 'and' or 'or' but found ${describe(t)}`, t);
  }

  // unary := ("not" | "!") unary | postfix
  private unary(): FilterNode {
    const t = this.peek();
    if (Parser.isWord(t, 'not') || Parser.isSymbolText(t, '!')) {
      this.next();
      return this.nested(t, () => ({ kind: 'not', operand: this.unary() }));
    }
    return this.postfix();
  }

  // postfix := primary ("is" "not"? "null")?
  private postfix(): FilterNode {
    const operand = this.primary();
    if (!Parser.isWord(this.peek(), 'is')) return operand;
    this.next();
    let negated = false;
    if (Parser.isWord(this.peek(), 'not')) {
      this.next();
      negated = true;
    }
    const t = this.next();
    if (!Parser.isWord(t, 'null')) throw this.fail(`expected 'null' after '${negated ? 'is not' : 'is'}' but found ${describe(t)}`, t);
    const again = this.peek();
    if (Parser.isWord(again, 'is')) throw this.fail("only one 'is null' or 'is not null' may follow a value but found another 'is'", again);
    return { kind: 'isNull', operand, negated };
  }

  // primary := "(" expr ")" | path | string | number | "true" | "false"
  private primary(): FilterNode {
    const before = this.previous();
    const t = this.peek();
    if (Parser.isSymbolText(t, '(')) {
      this.next();
      const inner = this.nested(t, () => this.expr());
      const close = this.peek();
      if (!Parser.isSymbolText(close, ')')) throw this.unexpectedAfterExpression(close, `expected an operator or ')' to close the '('${positionOf(this.text, t.at)}`);
      this.next();
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
    if (t.kind === 'word') {
      const word = t.text.toLowerCase();
      if (word === 'null') throw this.fail("null is only written as 'is null' or 'is not null' but found 'null'", t);
      if (word === 'true' || word === 'false') {
        this.next();
        const after = this.peek();
        if (Parser.isSymbolText(after, '.') || Parser.isSymbolText(after, '/')) throw this.fail(`expected an attribute name but found the keyword '${t.text}'`, t);
        return { kind: 'boolean', value: word === 'true' };
      }
      if (!KEYWORDS.has(word)) return this.path();
    }
    if (Parser.isSymbolText(t, '/')) return this.path();
    throw this.fail(`${expectedOperand(before)} but found ${describe(t)}`, t);
  }

  // path := "/"? ident (("." | "/") ident)*
  private path(): FilterNode {
    if (Parser.isSymbolText(this.peek(), '/')) this.next();
    const names = [this.ident()];
    while (Parser.isSymbolText(this.peek(), '.') || Parser.isSymbolText(this.peek(), '/')) {
      this.next();
      names.push(this.ident());
    }
    return { kind: 'path', names };
  }

  // ident := [A-Za-z_][A-Za-z0-9_]* (not a keyword); the lexer has made the word, this refuses keywords.
  private ident(): string {
    const separator = this.previous();
    const t = this.next();
    const after = separator?.kind === 'symbol' ? ` after '${separator.text}'` : '';
    if (t.kind !== 'word') throw this.fail(`expected an attribute name${after} but found ${describe(t)}`, t);
    if (KEYWORDS.has(t.text.toLowerCase())) throw this.fail(`expected an attribute name${after} but found the keyword '${t.text}'`, t);
    return t.text;
  }
}

/** What a primary needed, given the token before it (none at the start of the filter). */
function expectedOperand(before: Token | undefined): string {
  if (before === undefined) return 'expected a condition';
  if (before.kind === 'symbol' && (EQUALITY.has(before.text) || RELATIONAL.has(before.text))) return `expected a value after '${before.text}'`;
  return `expected a condition after ${describe(before)}`;
}

/** Parses filter text into its syntax tree; throws only DataError (200, or 485 for `contains`). */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw invalid('the filter must be text');
  if (text.length > MAX_FILTER_LENGTH) throw invalid(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  return new Parser(text, tokenize(text)).filter();
}
