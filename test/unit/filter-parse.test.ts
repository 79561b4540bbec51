import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompareOp, FilterNode } from '../../src/domain/filter/ast.js';
import { checkFilter } from '../../src/domain/filter/check.js';
import { parseFilter } from '../../src/domain/filter/parse.js';
import { printFilter } from '../../src/domain/filter/print.js';
import { RESERVED_ATTRIBUTES, type AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';

const PREFIX = 'filter was not valid for the following reason: ';

const p = (...names: string[]): FilterNode => ({ kind: 'path', names });
const s = (value: string): FilterNode => ({ kind: 'string', value });
const n = (text: string): FilterNode => ({ kind: 'number', text });
const b = (value: boolean): FilterNode => ({ kind: 'boolean', value });
const cmp = (op: CompareOp, left: FilterNode, right: FilterNode): FilterNode => ({ kind: 'compare', op, left, right });
const not = (operand: FilterNode): FilterNode => ({ kind: 'not', operand });
const isNull = (operand: FilterNode, negated = false): FilterNode => ({ kind: 'isNull', operand, negated });
const and = (...items: FilterNode[]): FilterNode => ({ kind: 'and', items });
const or = (...items: FilterNode[]): FilterNode => ({ kind: 'or', items });

/** The DataError `text` is refused with, after checking its code and argument. */
function refused(text: string, code: 200 | 485 = 200): DataError {
  let error: unknown;
  try {
    parseFilter(text);
  } catch (err) {
    error = err;
  }
  if (error === undefined) throw new Error(`${JSON.stringify(text.slice(0, 80))} was accepted`);
  expect(error).toBeInstanceOf(DataError);
  const e = error as DataError;
  expect({ code: e.code, argument: e.argument, attribute: e.attribute }).toEqual({ code, argument: 'filter', attribute: undefined });
  expect(e.message.startsWith(PREFIX)).toBe(true);
  return e;
}

/** The reason of the 200 error `text` is refused with (the message without its fixed beginning). */
const reason = (text: string): string => refused(text).message.slice(PREFIX.length);

describe('parseFilter', () => {
  it('parses the examples of the spec', () => {
    expect(parseFilter('id > 100')).toEqual(cmp('>', p('id'), n('100')));
    expect(parseFilter("age > 25 and age < 50 and gender='female'")).toEqual(and(cmp('>', p('age'), n('25')), cmp('<', p('age'), n('50')), cmp('=', p('gender'), s('female'))));
    expect(parseFilter("lastUpdated >= '2016-01-01'")).toEqual(cmp('>=', p('lastUpdated'), s('2016-01-01')));
    expect(parseFilter("birthday>'2012-06-13 18:02:56.012122 +0000'")).toEqual(cmp('>', p('birthday'), s('2012-06-13 18:02:56.012122 +0000')));
    expect(parseFilter('birthday is not null')).toEqual(isNull(p('birthday'), true));
    expect(parseFilter("gender='male'")).toEqual(cmp('=', p('gender'), s('male')));
    expect(parseFilter("primaryAddress.city = 'Portland'")).toEqual(cmp('=', p('primaryAddress', 'city'), s('Portland')));
    expect(parseFilter("/profiles/domain = 'x'")).toEqual(cmp('=', p('profiles', 'domain'), s('x')));
  });

  it('follows the precedence of the spec: postfix, not, relational, equality, and, or', () => {
    expect(parseFilter('a or b and c')).toEqual(or(p('a'), and(p('b'), p('c'))));
    expect(parseFilter('a and b or c')).toEqual(or(and(p('a'), p('b')), p('c')));
    expect(parseFilter('a = 1 and b = 2 or c != 3')).toEqual(or(and(cmp('=', p('a'), n('1')), cmp('=', p('b'), n('2'))), cmp('!=', p('c'), n('3'))));
    expect(parseFilter('a = b > c')).toEqual(cmp('=', p('a'), cmp('>', p('b'), p('c'))));
    expect(parseFilter('a < b = c')).toEqual(cmp('=', cmp('<', p('a'), p('b')), p('c')));
    expect(parseFilter('a >= 1 != b <= 2')).toEqual(cmp('!=', cmp('>=', p('a'), n('1')), cmp('<=', p('b'), n('2'))));
    expect(parseFilter('not a > 1')).toEqual(cmp('>', not(p('a')), n('1')));
    expect(parseFilter('not a = 1')).toEqual(cmp('=', not(p('a')), n('1')));
    expect(parseFilter('not (a > 1)')).toEqual(not(cmp('>', p('a'), n('1'))));
    expect(parseFilter('not a is null')).toEqual(not(isNull(p('a'))));
    expect(parseFilter('not a and b')).toEqual(and(not(p('a')), p('b')));
    expect(parseFilter('a is null = true')).toEqual(cmp('=', isNull(p('a')), b(true)));
    expect(parseFilter('(a = 1) is null')).toEqual(isNull(cmp('=', p('a'), n('1'))));
  });

  it('makes one node per and/or chain; parentheses nest and add no node of their own', () => {
    expect(parseFilter('a and b and c and d')).toEqual(and(p('a'), p('b'), p('c'), p('d')));
    expect(parseFilter('a or b or c')).toEqual(or(p('a'), p('b'), p('c')));
    expect(parseFilter('(a and b) and c')).toEqual(and(and(p('a'), p('b')), p('c')));
    expect(parseFilter('a and (b and c)')).toEqual(and(p('a'), and(p('b'), p('c'))));
    expect(parseFilter('(a or b) and c')).toEqual(and(or(p('a'), p('b')), p('c')));
    expect(parseFilter('((a))')).toEqual(p('a'));
    expect(parseFilter('(a = 1)')).toEqual(cmp('=', p('a'), n('1')));
    expect(parseFilter('(a = 1) = (b = 2)')).toEqual(cmp('=', cmp('=', p('a'), n('1')), cmp('=', p('b'), n('2'))));
    expect(parseFilter(`a and ${'b and '.repeat(5000)}c`)).toMatchObject({ kind: 'and', items: { length: 5002 } });
  });

  it('reads not and ! as prefix operators and != as one token', () => {
    expect(parseFilter('!a')).toEqual(not(p('a')));
    expect(parseFilter('! a')).toEqual(not(p('a')));
    expect(parseFilter('!!a')).toEqual(not(not(p('a'))));
    expect(parseFilter('not not a')).toEqual(not(not(p('a'))));
    expect(parseFilter('!(a = 1)')).toEqual(not(cmp('=', p('a'), n('1'))));
    expect(parseFilter('a != 1')).toEqual(cmp('!=', p('a'), n('1')));
    expect(parseFilter('a!=1')).toEqual(cmp('!=', p('a'), n('1')));
    expect(parseFilter('a != !b')).toEqual(cmp('!=', p('a'), not(p('b'))));
    expect(parseFilter('a =!b')).toEqual(cmp('=', p('a'), not(p('b'))));
    expect(reason('a ! = 1')).toBe("expected an operator or the end of the filter but found '!' at position 3");
  });

  it('reads keywords in any case', () => {
    expect(parseFilter('a IS NOT NULL And b Is Null OR NOT c')).toEqual(or(and(isNull(p('a'), true), isNull(p('b'))), not(p('c'))));
    expect(parseFilter('v = TRUE or v = False')).toEqual(or(cmp('=', p('v'), b(true)), cmp('=', p('v'), b(false))));
    expect(parseFilter('a iS nOt nUlL')).toEqual(isNull(p('a'), true));
  });

  it('reads attribute paths', () => {
    expect(parseFilter('a.b.c is null')).toEqual(isNull(p('a', 'b', 'c')));
    expect(parseFilter('/a/b.c/d = 1')).toEqual(cmp('=', p('a', 'b', 'c', 'd'), n('1')));
    expect(parseFilter('_x1.Y_2 = 1')).toEqual(cmp('=', p('_x1', 'Y_2'), n('1')));
    // Words that merely begin like a keyword are names.
    expect(parseFilter('notes = android or island = order')).toEqual(or(cmp('=', p('notes'), p('android')), cmp('=', p('island'), p('order'))));
    expect(parseFilter('nullable.isActive is null')).toEqual(isNull(p('nullable', 'isActive')));
    expect(reason('a.and = 1')).toBe("expected an attribute name after '.' but found the keyword 'and' at position 3");
    expect(reason('/Null = 1')).toBe("expected an attribute name after '/' but found the keyword 'Null' at position 2");
    expect(reason('a.TRUE = 1')).toBe("expected an attribute name after '.' but found the keyword 'TRUE' at position 3");
    expect(reason('true.a = 1')).toBe("expected an attribute name but found the keyword 'true' at position 1");
    expect(reason('a. = 1')).toBe("expected an attribute name after '.' but found '=' at position 4");
    expect(reason('/ = 1')).toBe("expected an attribute name after '/' but found '=' at position 3");
    expect(reason('a.1 = 1')).toMatch(/^expected an attribute name after '\.' but found .* at position 3$/);
    expect(reason('a..b = 1')).toBe("expected an attribute name after '.' but found '.' at position 3");
  });

  it('reads strings with both quote escapes and keeps other backslashes', () => {
    expect(parseFilter("n = 'O''Neil'")).toEqual(cmp('=', p('n'), s("O'Neil")));
    expect(parseFilter("n = 'O\\'Neil'")).toEqual(cmp('=', p('n'), s("O'Neil")));
    expect(parseFilter("n = 'a\\\\b'")).toEqual(cmp('=', p('n'), s('a\\b')));
    expect(parseFilter("n = 'a\\db'")).toEqual(cmp('=', p('n'), s('a\\db')));
    expect(parseFilter("n = 'a\\\\'")).toEqual(cmp('=', p('n'), s('a\\')));
    expect(parseFilter("n = ''''")).toEqual(cmp('=', p('n'), s("'")));
    expect(parseFilter("n = ''")).toEqual(cmp('=', p('n'), s('')));
    expect(parseFilter("n = '\\''''")).toEqual(cmp('=', p('n'), s("''")));
    // Everything between the quotes is kept: keywords, operators, whitespace, any character.
    expect(parseFilter("n = ' and or ( \" contains \t\n'")).toEqual(cmp('=', p('n'), s(' and or ( " contains \t\n')));
    expect(parseFilter("n = '\u0000\ud800😀é'")).toEqual(cmp('=', p('n'), s('\u0000\ud800😀é')));
    expect(parseFilter("'x' = n")).toEqual(cmp('=', s('x'), p('n')));
    // `\'` always escapes a quote, so a string cannot end in a lone backslash.
    expect(reason("n = 'a\\'")).toBe('expected a closing quote for the string starting at position 5');
    expect(reason("n = 'x")).toBe('expected a closing quote for the string starting at position 5');
    expect(reason("n = '")).toBe('expected a closing quote for the string starting at position 5');
    expect(reason('n = "x"')).toBe(`strings are written in single quotes but found '"' at position 5`);
  });

  it('reads numbers with and without quotes, kept as written', () => {
    expect(parseFilter('n = 25')).toEqual(cmp('=', p('n'), n('25')));
    expect(parseFilter("n = '25'")).toEqual(cmp('=', p('n'), s('25')));
    expect(parseFilter('n = -3')).toEqual(cmp('=', p('n'), n('-3')));
    expect(parseFilter('n=-3.50')).toEqual(cmp('=', p('n'), n('-3.50')));
    expect(parseFilter('n > 007.0')).toEqual(cmp('>', p('n'), n('007.0')));
    expect(parseFilter('-1 < n')).toEqual(cmp('<', n('-1'), p('n')));
    expect(parseFilter('n > 1 and n < 2')).toEqual(and(cmp('>', p('n'), n('1')), cmp('<', p('n'), n('2'))));
    expect(reason('n = 1.')).toBe('expected a digit after the decimal point but found the end of the filter at position 7');
    expect(reason('n = 1.x')).toBe("expected a digit after the decimal point but found 'x' at position 7");
    expect(reason('n = .5')).toBe("expected a value after '=' but found '.' at position 5");
    expect(reason('n = 1e5')).toBe("expected an operator after the number 1 but found 'e' at position 6");
    expect(reason('n = 12abc')).toBe("expected an operator after the number 12 but found 'a' at position 7");
    expect(reason('n = 1.5.3')).toBe("expected an operator after the number 1.5 but found '.' at position 8");
    expect(reason('n = - 3')).toBe("expected a digit after '-' but found a space at position 6");
    expect(reason('n = --3')).toBe("expected a digit after '-' but found '-' at position 6");
    expect(reason('n = +3')).toBe("unexpected character '+' at position 5");
  });

  it('allows any whitespace between tokens and none where tokens are apart anyway', () => {
    expect(parseFilter('\n\tage\t>\r\n25 ')).toEqual(cmp('>', p('age'), n('25')));
    expect(parseFilter('age>25 and age<50')).toEqual(and(cmp('>', p('age'), n('25')), cmp('<', p('age'), n('50'))));
    expect(parseFilter("(a='x')and(b='y')")).toEqual(and(cmp('=', p('a'), s('x')), cmp('=', p('b'), s('y'))));
    expect(parseFilter('a>=1')).toEqual(cmp('>=', p('a'), n('1')));
    expect(parseFilter('a<=1')).toEqual(cmp('<=', p('a'), n('1')));
    expect(reason('a = 1\u00a0')).toBe('unexpected character U+00A0 at position 6');
  });

  it('refuses the removed contains operator with 485', () => {
    refused("email contains 'x'", 485);
    refused("email CONTAINS 'x'", 485);
    refused("email Contains 'x' or a = 1", 485);
    refused("(email contains 'x')", 485);
    refused("a = 1 and email contains 'x'", 485);
    refused("a is null contains 'x'", 485);
    // Where a value is expected, `contains` is just a name; inside a string it is text.
    expect(parseFilter('contains = 1')).toEqual(cmp('=', p('contains'), n('1')));
    expect(parseFilter("a.contains = 'contains'")).toEqual(cmp('=', p('a', 'contains'), s('contains')));
    expect(reason("contains 'x'")).toBe('expected an operator or the end of the filter but found a string at position 10');
  });

  it('names what was expected and what was found, at the 1-based position of the token', () => {
    expect(reason('name = ')).toBe("expected a value after '=' but found the end of the filter at position 8");
    expect(reason("name = 'Ann' and")).toBe("expected a condition after 'and' but found the end of the filter at position 17");
    expect(reason("name = 'Ann' OR )")).toBe("expected a condition after 'OR' but found ')' at position 17");
    expect(reason('name = = 1')).toBe("expected a value after '=' but found '=' at position 8");
    expect(reason('a >= and')).toBe("expected a value after '>=' but found 'and' at position 6");
    expect(reason('= 1')).toBe("expected a condition but found '=' at position 1");
    expect(reason('not')).toBe("expected a condition after 'not' but found the end of the filter at position 4");
    expect(reason('()')).toBe("expected a condition after '(' but found ')' at position 2");
    expect(reason('(a = 1')).toBe("expected an operator or ')' to close the '(' at position 1 but found the end of the filter at position 7");
    expect(reason('(a b)')).toBe("expected an operator or ')' to close the '(' at position 1 but found 'b' at position 4");
    expect(reason('a = 1)')).toBe("expected an operator or the end of the filter but found ')' without a matching '(' at position 6");
    expect(reason('a = 1 b')).toBe("expected an operator or the end of the filter but found 'b' at position 7");
    expect(reason('a is 1')).toBe("expected 'null' after 'is' but found the number 1 at position 6");
    expect(reason('a is not')).toBe("expected 'null' after 'is not' but found the end of the filter at position 9");
    expect(reason('a is null is null')).toBe("only one 'is null' or 'is not null' may follow a value but found another 'is' at position 11");
    expect(reason('a = 1 = 2')).toBe("comparisons cannot be chained; expected 'and' or 'or' but found '=' at position 7");
    expect(reason('a < 1 < 2')).toBe("comparisons cannot be chained; expected 'and' or 'or' but found '<' at position 7");
    expect(reason('a != 1 = 2')).toBe("comparisons cannot be chained; expected 'and' or 'or' but found '=' at position 8");
    expect(reason('a = null')).toBe("null is only written as 'is null' or 'is not null' but found 'null' at position 5");
    expect(reason('null')).toBe("null is only written as 'is null' or 'is not null' but found 'null' at position 1");
    expect(reason('a = 1 & b')).toBe("unexpected character '&' at position 7");
    expect(reason('a = \u0000')).toBe('unexpected character U+0000 at position 5');
    expect(reason('a = \ud800')).toBe('unexpected character U+D800 at position 5');
    expect(reason('a = \udc00 ')).toBe('unexpected character U+DC00 at position 5');
    expect(reason('a = 😀')).toBe('unexpected character U+1F600 at position 5');
    // Positions count characters (code points), not UTF-16 units.
    expect(reason("a = '😀😀' &")).toBe("unexpected character '&' at position 10");
    expect(reason("a = '😀' and")).toBe("expected a condition after 'and' but found the end of the filter at position 12");
  });

  it('refuses an empty filter', () => {
    expect(reason('')).toBe('the filter is empty');
    expect(reason(' \t\r\n ')).toBe('the filter is empty');
  });

  it('limits nesting to 100 levels of parentheses and not, and the text to 65536 characters', () => {
    expect(parseFilter(`${'('.repeat(100)}a${')'.repeat(100)}`)).toEqual(p('a'));
    expect(reason(`${'('.repeat(101)}a${')'.repeat(101)}`)).toBe('the filter nests more than 100 levels deep at position 101');
    const nots = (count: number): FilterNode => (count === 0 ? p('a') : not(nots(count - 1)));
    const hundredNots = nots(100);
    expect(parseFilter(`${'not '.repeat(100)}a`)).toEqual(hundredNots);
    expect(parseFilter(`${'!'.repeat(100)}a`)).toEqual(hundredNots);
    expect(reason(`${'not '.repeat(101)}a`)).toBe('the filter nests more than 100 levels deep at position 401');
    expect(reason(`${'!'.repeat(101)}a`)).toBe('the filter nests more than 100 levels deep at position 101');
    expect(parseFilter(`${'!('.repeat(50)}a${')'.repeat(50)}`)).toEqual(nots(50));
    expect(reason(`${'!('.repeat(50)}!a${')'.repeat(50)}`)).toBe('the filter nests more than 100 levels deep at position 101');
    // Deep input is refused at the limit, long before the stack could run out.
    expect(reason('('.repeat(65_536))).toBe('the filter nests more than 100 levels deep at position 101');
    expect(reason('!'.repeat(65_536))).toBe('the filter nests more than 100 levels deep at position 101');
    expect(reason(`${'not '.repeat(16_000)}a`)).toMatch(/nests more than 100 levels deep at position 401$/);

    const longest = `a = '${'x'.repeat(65_536 - 6)}'`;
    expect(longest.length).toBe(65_536);
    expect(parseFilter(longest)).toEqual(cmp('=', p('a'), s('x'.repeat(65_530))));
    expect(reason(`${longest} `)).toBe('the filter is longer than 65536 characters');
    expect(reason(`a = '${'x'.repeat(1_000_000)}'`)).toBe('the filter is longer than 65536 characters');
  });

  it('refuses a value that is not text with the same typed error', () => {
    expect(() => parseFilter(undefined as unknown as string)).toThrow(DataError);
    expect(() => parseFilter(42 as unknown as string)).toThrow(PREFIX + 'the filter must be text');
  });
});

describe('printFilter', () => {
  const canonical = (text: string): string => printFilter(parseFilter(text));

  it('prints keywords in lower case with single spaces, paths with dots', () => {
    expect(canonical('a IS NOT NULL And(b Or NOT c)')).toBe('a is not null and (b or not c)');
    expect(canonical("/profiles/domain='x'")).toBe("profiles.domain = 'x'");
    expect(canonical('v=TRUE or v!=False')).toBe('v = true or v != false');
    expect(canonical('!a')).toBe('not a');
    expect(canonical('n>=-3.50')).toBe('n >= -3.50');
  });

  it('quotes strings with \\\\ for a backslash and \'\' for a quote', () => {
    expect(printFilter(s("it's"))).toBe("'it''s'");
    expect(printFilter(s('a\\b'))).toBe("'a\\\\b'");
    expect(printFilter(s("\\'"))).toBe("'\\\\'''");
    expect(canonical("n = 'O\\'Neil' or n = 'a\\db'")).toBe("n = 'O''Neil' or n = 'a\\\\db'");
  });

  it('parenthesizes only where the grammar needs it', () => {
    expect(canonical('((a = 1)) and ((b))')).toBe('a = 1 and b');
    expect(canonical('(a and b) and c')).toBe('(a and b) and c');
    expect(canonical('a and (b and c)')).toBe('a and (b and c)');
    expect(canonical('(a or b) or c')).toBe('(a or b) or c');
    expect(canonical('a or (b and c)')).toBe('a or b and c');
    expect(canonical('(a or b) and c')).toBe('(a or b) and c');
    expect(canonical('(a = 1) = (b = 2)')).toBe('(a = 1) = (b = 2)');
    expect(canonical('(a > 1) = (b < 2)')).toBe('a > 1 = b < 2');
    expect(canonical('(a > 1) > 2')).toBe('(a > 1) > 2');
    expect(canonical('a = (b = c)')).toBe('a = (b = c)');
    expect(canonical('not (a > 1)')).toBe('not (a > 1)');
    expect(canonical('(not a) > 1')).toBe('not a > 1');
    expect(canonical('not (a is null)')).toBe('not a is null');
    expect(canonical('(not a) is null')).toBe('(not a) is null');
    expect(canonical('(a = 1) is not null')).toBe('(a = 1) is not null');
    expect(canonical('(a is null) is null')).toBe('(a is null) is null');
    expect(canonical('not (a and b)')).toBe('not (a and b)');
    expect(canonical('not not a')).toBe('not not a');
    expect(canonical('(-3) is null')).toBe('-3 is null');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false']);
const COMPARE_OPS: CompareOp[] = ['=', '!=', '<', '<=', '>', '>='];

const identArb = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,7}$/).filter((x) => !KEYWORDS.has(x.toLowerCase())) },
  // Names that look like keywords at first sight.
  { weight: 1, arbitrary: fc.constantFrom('notes', 'android', 'order', 'island', 'nullable', 'True_', 'falsey', 'is_', 'nOt1', 'contains', 'CONTAINS', '_') },
);
const pathArb: fc.Arbitrary<FilterNode> = fc.array(identArb, { minLength: 1, maxLength: 3 }).map((names): FilterNode => ({ kind: 'path', names }));

/** UTF-16 units, lone surrogates included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const stringValueArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: anyUnit, maxLength: 8 }),
  fc.string({ unit: fc.constantFrom("'", '\\', "''", '\\\\', "\\'", 'a', ' ', '"', 'and', ')'), maxLength: 8 }),
);
const literalArb: fc.Arbitrary<FilterNode> = fc.oneof(
  stringValueArb.map((value): FilterNode => ({ kind: 'string', value })),
  fc.stringMatching(/^-?[0-9]{1,6}(\.[0-9]{1,4})?$/).map((text): FilterNode => ({ kind: 'number', text })),
  fc.boolean().map((value): FilterNode => ({ kind: 'boolean', value })),
);

/** Trees parseFilter can produce: and/or have at least two items; names are not keywords; numbers fit the grammar. */
const astArb: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    pathArb,
    literalArb,
    fc.tuple(fc.constantFrom(...COMPARE_OPS), tie('node'), tie('node')).map(([op, left, right]): FilterNode => ({ kind: 'compare', op, left, right })),
    tie('node').map((operand): FilterNode => ({ kind: 'not', operand })),
    fc.tuple(tie('node'), fc.boolean()).map(([operand, negated]): FilterNode => ({ kind: 'isNull', operand, negated })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('node'), { minLength: 2, maxLength: 4 })).map(([kind, items]): FilterNode => ({ kind, items })),
  ),
})).node;

/** Binding strength per grammar level, for the loose printer below (independent of print.ts). */
function strength(node: FilterNode): number {
  switch (node.kind) {
    case 'or':
      return 1;
    case 'and':
      return 2;
    case 'compare':
      return node.op === '=' || node.op === '!=' ? 3 : 4;
    case 'not':
      return 5;
    case 'isNull':
      return 6;
    default:
      return 7;
  }
}

type Pick = <T>(options: readonly T[]) => T;

/**
 * Another valid spelling of `node`: keywords in random case, `!` or `not`, random (or no) whitespace
 * where the lexer allows it, `/` or `.` between names, either quote escape, bare backslashes where
 * they stay literal, and extra parentheses.
 */
function loosePrint(node: FilterNode, pick: Pick): string {
  const ws = (): string => pick(['', '', ' ', '  ', '\t', '\n', '\r\n']);
  const sp = (): string => pick([' ', ' ', '\t', '\n', ' \r\n\t']);
  const kw = (word: string): string => [...word].map((c) => pick([c.toLowerCase(), c.toUpperCase()])).join('');
  const slot = (child: FilterNode, min: number): string => {
    const text = loosePrint(child, pick);
    return strength(child) < min || pick([false, false, false, true]) ? `(${ws()}${text}${ws()})` : text;
  };
  switch (node.kind) {
    case 'or':
    case 'and': {
      const min = node.kind === 'or' ? 2 : 3;
      return node.items.map((item) => slot(item, min)).join(`${sp()}${kw(node.kind)}${sp()}`);
    }
    case 'compare': {
      const min = node.op === '=' || node.op === '!=' ? 4 : 5;
      return `${slot(node.left, min)}${ws()}${node.op}${ws()}${slot(node.right, min)}`;
    }
    case 'not':
      return pick([true, false]) ? `!${ws()}${slot(node.operand, 5)}` : `${kw('not')}${sp()}${slot(node.operand, 5)}`;
    case 'isNull':
      return `${slot(node.operand, 7)}${sp()}${kw('is')}${sp()}${node.negated ? `${kw('not')}${sp()}` : ''}${kw('null')}`;
    case 'path':
      return `${pick(['', '/'])}${node.names.map((name, i) => (i === 0 ? name : `${pick(['.', '/'])}${name}`)).join('')}`;
    case 'string': {
      const v = node.value;
      const body = [...v]
        .map((c, i) => {
          if (c === "'") return pick(["''", "\\'"]);
          if (c === '\\') return i + 1 < v.length && v[i + 1] !== '\\' && v[i + 1] !== "'" ? pick(['\\', '\\\\']) : '\\\\';
          return c;
        })
        .join('');
      return `'${body}'`;
    }
    case 'number':
      return node.text;
    case 'boolean':
      return kw(node.value ? 'true' : 'false');
  }
}

/** Runs parseFilter on any text and checks that it answers with a tree or the typed error only. */
function tryParse(text: string): FilterNode | DataError {
  try {
    return parseFilter(text);
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    expect(err.argument).toBe('filter');
    expect(err.message.startsWith(PREFIX)).toBe(true);
    if (err.code === 485) {
      expect(text).toMatch(/contains/i);
    } else {
      expect(err.code).toBe(200);
      const why = err.message.slice(PREFIX.length);
      if (why !== 'the filter is empty' && !why.startsWith('the filter is longer')) {
        const position = /at position (\d+)$/.exec(why);
        expect(position, why).not.toBeNull();
        expect(Number(position?.[1])).toBeGreaterThanOrEqual(1);
        expect(Number(position?.[1])).toBeLessThanOrEqual([...text].length + 1);
      }
    }
    return err;
  }
}

// Near-valid filters: the tokens of the language (and a few wrong ones), joined with or without spaces.
const TOKENS = ['(', ')', "'", "''", '\\', '=', '!=', '!', '<', '<=', '>', '>=', 'and', 'AND', 'or', 'not', 'Not', 'is', 'null', 'true', 'false', 'a', 'b.c', '/d', '12', '-3', '4.5', "'x'", "'a\\'b'", 'contains', '"', '.', '/', '-', '\t'];
const tokenTextArb = fc.array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom('', ' ')), { maxLength: 24 }).map((parts) => parts.map(([token, gap]) => token + gap).join(''));

describe('filter parser properties', () => {
  it('parsing the printed text gives the same tree back', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      { numRuns: 2000 },
    );
  });

  it('printing is canonical: print(parse(print(t))) = print(t)', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        const text = printFilter(ast);
        expect(printFilter(parseFilter(text))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('case, whitespace, separators, escapes and extra parentheses do not change the tree', () => {
    fc.assert(
      fc.property(astArb, fc.gen(), (ast, g) => {
        const pick: Pick = (options) => {
          const chosen = options[g(fc.nat, { max: options.length - 1 })];
          if (chosen === undefined) throw new Error('nothing to pick from');
          return chosen;
        };
        const text = loosePrint(ast, pick);
        expect(parseFilter(text)).toEqual(ast);
      }),
      { numRuns: 1000 },
    );
  });

  it('any text gives a tree or the typed error with a position, never another exception', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (text) => void tryParse(text)), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => void tryParse(text)), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: anyUnit, maxLength: 60 }), (text) => void tryParse(text)), { numRuns: 1000 });
  });

  it('near-valid filters give a tree that prints and parses back, or the typed error', () => {
    fc.assert(
      fc.property(tokenTextArb, (text) => {
        const result = tryParse(text);
        if (!(result instanceof DataError)) expect(parseFilter(printFilter(result))).toEqual(result);
      }),
      { numRuns: 3000 },
    );
  });

  it('checking a parsed tree against a schema gives a condition or the typed error', () => {
    const defs: AttributeDefinition[] = [...RESERVED_ATTRIBUTES, { name: 'a', type: 'string' }, { name: 'b', type: 'object', attr_defs: [{ name: 'c', type: 'integer' }] }, { name: 'd', type: 'boolean' }];
    const textArb = fc.array(fc.constantFrom(...TOKENS, 'id', 'created', 'd', ' = 1', " = '2016-01-01'", ' '), { maxLength: 16 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(textArb, (text) => {
        try {
          checkFilter(parseFilter(text), defs);
        } catch (err) {
          if (!(err instanceof DataError) || (err.code !== 200 && err.code !== 485)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
