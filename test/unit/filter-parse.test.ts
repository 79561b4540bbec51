import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../src/domain/filter/ast.js';
import { checkFilter } from '../../src/domain/filter/check.js';
import { parseFilter } from '../../src/domain/filter/parse.js';
import { printFilter } from '../../src/domain/filter/print.js';
import { RESERVED_ATTRIBUTES, type AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';

const p = (...names: string[]): FilterNode => ({ kind: 'path', names });
const s = (value: string): FilterNode => ({ kind: 'string', value });
const n = (text: string): FilterNode => ({ kind: 'number', text });
const cmp = (op: '=' | '!=' | '<' | '<=' | '>' | '>=', left: FilterNode, right: FilterNode): FilterNode => ({ kind: 'compare', op, left, right });

function refused(text: string, code = 200): DataError {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.code).toBe(code);
    expect(e.argument).toBe('filter');
    return e;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

describe('filter parser', () => {
  it('parses the examples of the spec', () => {
    expect(parseFilter('id > 100')).toEqual(cmp('>', p('id'), n('100')));
    expect(parseFilter("age > 25 and age < 50 and gender='female'")).toEqual({ kind: 'and', items: [cmp('>', p('age'), n('25')), cmp('<', p('age'), n('50')), cmp('=', p('gender'), s('female'))] });
    expect(parseFilter("lastUpdated >= '2016-01-01'")).toEqual(cmp('>=', p('lastUpdated'), s('2016-01-01')));
    expect(parseFilter("birthday>'2012-06-13 18:02:56.012122 +0000'")).toEqual(cmp('>', p('birthday'), s('2012-06-13 18:02:56.012122 +0000')));
    expect(parseFilter('birthday is not null')).toEqual({ kind: 'isNull', operand: p('birthday'), negated: true });
    expect(parseFilter("gender='male'")).toEqual(cmp('=', p('gender'), s('male')));
    expect(parseFilter("primaryAddress.city = 'Portland'")).toEqual(cmp('=', p('primaryAddress', 'city'), s('Portland')));
    expect(parseFilter("/profiles/domain = 'x'")).toEqual(cmp('=', p('profiles', 'domain'), s('x')));
    expect(parseFilter('profiles/accounts.name is null')).toEqual({ kind: 'isNull', operand: p('profiles', 'accounts', 'name'), negated: false });
  });

  it('follows the precedence of the spec: postfix, not, relational, equality, and, or', () => {
    expect(parseFilter('a or b and c')).toEqual({ kind: 'or', items: [p('a'), { kind: 'and', items: [p('b'), p('c')] }] });
    expect(parseFilter('(a or b) and c')).toEqual({ kind: 'and', items: [{ kind: 'or', items: [p('a'), p('b')] }, p('c')] });
    expect(parseFilter('(a and b) and c')).toEqual({ kind: 'and', items: [{ kind: 'and', items: [p('a'), p('b')] }, p('c')] });
    expect(parseFilter('not a is null')).toEqual({ kind: 'not', operand: { kind: 'isNull', operand: p('a'), negated: false } });
    expect(parseFilter('a = b > c')).toEqual(cmp('=', p('a'), cmp('>', p('b'), p('c'))));
    expect(parseFilter('not a > 1')).toEqual(cmp('>', { kind: 'not', operand: p('a') }, n('1')));
    expect(parseFilter('not (a > 1)')).toEqual({ kind: 'not', operand: cmp('>', p('a'), n('1')) });
    expect(parseFilter('!a')).toEqual({ kind: 'not', operand: p('a') });
    expect(parseFilter('a != 1')).toEqual(cmp('!=', p('a'), n('1')));
    expect(parseFilter('not not a')).toEqual({ kind: 'not', operand: { kind: 'not', operand: p('a') } });
    expect(parseFilter('((a))')).toEqual(p('a'));
  });

  it('reads keywords in any case, both quote escapes, backslashes, numbers and booleans', () => {
    expect(parseFilter('a IS NOT NULL And b Is Null OR NOT c')).toEqual({
      kind: 'or',
      items: [{ kind: 'and', items: [{ kind: 'isNull', operand: p('a'), negated: true }, { kind: 'isNull', operand: p('b'), negated: false }] }, { kind: 'not', operand: p('c') }],
    });
    expect(parseFilter("n = 'O''Neil'")).toEqual(cmp('=', p('n'), s("O'Neil")));
    expect(parseFilter("n = 'O\\'Neil'")).toEqual(cmp('=', p('n'), s("O'Neil")));
    expect(parseFilter("n = 'a\\\\b'")).toEqual(cmp('=', p('n'), s('a\\b')));
    expect(parseFilter("n = 'a\\db'")).toEqual(cmp('=', p('n'), s('a\\db')));
    expect(parseFilter("n = ''")).toEqual(cmp('=', p('n'), s('')));
    expect(parseFilter('n = -3.50')).toEqual(cmp('=', p('n'), n('-3.50')));
    expect(parseFilter("n = '25'")).toEqual(cmp('=', p('n'), s('25')));
    expect(parseFilter('v = TRUE or v = false')).toEqual({ kind: 'or', items: [cmp('=', p('v'), { kind: 'boolean', value: true }), cmp('=', p('v'), { kind: 'boolean', value: false })] });
    expect(parseFilter('\n\tage\t>\n25 ')).toEqual(cmp('>', p('age'), n('25')));
  });

  it('refuses contains with code 485', () => {
    refused("email contains 'x'", 485);
    refused("email CONTAINS 'x'", 485);
    refused("(email contains 'x')", 485);
  });

  it('points at the position of a syntax error', () => {
    expect(refused("name = 'Ann' and").message).toBe('filter was not valid for the following reason: expected an attribute or a value but found the end of the filter at the end');
    expect(refused('name = = 1').message).toBe("filter was not valid for the following reason: expected an attribute or a value but found '=' at position 8");
    expect(refused("name = 'x").message).toBe('filter was not valid for the following reason: the string starting at position 8 has no closing quote');
    expect(refused('name = "x"').message).toMatch(/single quotes.*at position 8$/);
    expect(refused('(a = 1').message).toBe("filter was not valid for the following reason: expected ')' to close the '(' at position 1 but found the end of the filter at the end");
    expect(refused('a = 1 b').message).toBe("filter was not valid for the following reason: expected and, or or the end of the filter but found 'b' at position 7");
    expect(refused('a is 1').message).toMatch(/expected null after is but found the number 1 at position 6$/);
    expect(refused('a = 1 = 2').message).toMatch(/cannot be chained/);
    expect(refused('a < 1 < 2').message).toMatch(/cannot be chained/);
    expect(refused('a = null').message).toMatch(/null is only written as 'is null'/);
    expect(refused('a = 1.').message).toMatch(/digits after its decimal point/);
    expect(refused('a = 12abc').message).toMatch(/after the number at position 7$/);
    expect(refused('a = 1 & b').message).toMatch(/unexpected '&' at position 7$/);
    expect(refused('a = \u0000').message).toMatch(/U\+0000 at position 5$/);
    expect(refused('a.and = 1').message).toMatch(/keyword and/);
    expect(refused('').message).toMatch(/the filter is empty/);
    expect(refused('   ').message).toMatch(/the filter is empty/);
  });

  it('limits length and nesting without overflowing the stack', () => {
    refused(`a = '${'x'.repeat(70_000)}'`);
    expect(refused(`${'('.repeat(101)}a${')'.repeat(101)}`).message).toMatch(/nests deeper than 100/);
    expect(refused(`${'not '.repeat(101)}a`).message).toMatch(/nests deeper than 100/);
    refused('('.repeat(60_000));
    expect(parseFilter(`${'('.repeat(99)}a${')'.repeat(99)}`)).toEqual(p('a'));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false', 'contains']);
const identArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/).filter((x) => !KEYWORDS.has(x.toLowerCase()));
const literalArb: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((value): FilterNode => ({ kind: 'string', value })),
  fc.string({ unit: fc.constantFrom("'", '\\', 'a', ' ', '"'), maxLength: 6 }).map((value): FilterNode => ({ kind: 'string', value })),
  fc.tuple(fc.boolean(), fc.nat(99999), fc.option(fc.nat(999), { nil: undefined })).map(([neg, int, frac]): FilterNode => ({ kind: 'number', text: `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}` })),
  fc.boolean().map((value): FilterNode => ({ kind: 'boolean', value })),
);
const pathArb: fc.Arbitrary<FilterNode> = fc.array(identArb, { minLength: 1, maxLength: 3 }).map((names): FilterNode => ({ kind: 'path', names }));

const astArb: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    pathArb,
    literalArb,
    fc.tuple(fc.constantFrom<'=' | '!=' | '<' | '<=' | '>' | '>='>('=', '!=', '<', '<=', '>', '>='), tie('node'), tie('node')).map(([op, left, right]): FilterNode => ({ kind: 'compare', op, left, right })),
    tie('node').map((operand): FilterNode => ({ kind: 'not', operand })),
    fc.tuple(tie('node'), fc.boolean()).map(([operand, negated]): FilterNode => ({ kind: 'isNull', operand, negated })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('node'), { minLength: 2, maxLength: 3 })).map(([kind, items]): FilterNode => ({ kind, items })),
  ),
})).node;

/** Trees the parser can produce: `a = b = c` and `a < b < c` have no tree (comparisons do not chain without parentheses, which the printer adds). */
function parseable(node: FilterNode): boolean {
  try {
    parseFilter(printFilter(node));
    return true;
  } catch {
    return false;
  }
}

function onlyTypedErrors(text: string): void {
  try {
    parseFilter(text);
  } catch (err) {
    if (!(err instanceof DataError) || (err.code !== 200 && err.code !== 485) || err.argument !== 'filter') throw err;
  }
}

const TOKENS = ['(', ')', "'", "''", '\\', '=', '!=', '!', '<', '<=', '>', '>=', ' and ', ' or ', 'not ', ' is ', 'null', 'true', 'false', 'a', 'b.c', '/d', '12', '-3', '4.5', "'x'", ' ', 'contains', '"'];

describe('filter parser properties', () => {
  it('printing and parsing again gives the same tree', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        expect(parseable(ast)).toBe(true);
        expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      { numRuns: 2000 },
    );
  });

  it('printing is canonical: print ∘ parse ∘ print = print', () => {
    fc.assert(
      fc.property(astArb, (ast) => {
        expect(printFilter(parseFilter(printFilter(ast)))).toBe(printFilter(ast));
      }),
      { numRuns: 1000 },
    );
  });

  it('any text gives a tree or the typed error, never another exception', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), onlyTypedErrors), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 20 }).map((parts) => parts.join('')), onlyTypedErrors), { numRuns: 3000 });
  });

  it('checking a parsed tree against a schema gives a condition or the typed error', () => {
    const defs: AttributeDefinition[] = [...RESERVED_ATTRIBUTES, { name: 'a', type: 'string' }, { name: 'b', type: 'object', attr_defs: [{ name: 'c', type: 'integer' }] }, { name: 'd', type: 'boolean' }];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS, 'id', 'created', 'd', ' = 1', " = '2016-01-01'"), { maxLength: 16 }).map((parts) => parts.join('')), (text) => {
        try {
          checkFilter(parseFilter(text), defs);
        } catch (err) {
          if (!(err instanceof DataError) || (err.code !== 200 && err.code !== 485)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
