// Unit and property tests for src/domain/schema/rules.ts: validation rules of /entityType.addRule
// (spec capture-api §5.0 "Validation rules", §5.8-§5.10).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttributeType } from '../../src/domain/schema/attribute-definition.js';
import { ATTRIBUTE_TYPES } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import {
  applyRule,
  checkRuleApplies,
  isTransforming,
  MAX_MATCH_VALUE_LENGTH,
  parseRuleDefinition,
  ruleDefinitionToJson,
  type JsonValue,
  type RuleContext,
  type RuleDefinition,
} from '../../src/domain/schema/rules.js';

const NOW = new Date('2024-06-15T12:00:00Z');
const CREATE: RuleContext = { mode: 'create', previous: undefined, now: NOW };
const update = (previous: unknown): RuleContext => ({ mode: 'update', previous, now: NOW });

const parse = parseRuleDefinition;
const apply = (definition: unknown, value: unknown, ctx: RuleContext = CREATE): unknown =>
  applyRule(parse(definition), value, '/attr', ctx);

/** The DataError a call throws (fails the test if it throws nothing or something else). */
function caught(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

function expectParseError(definition: unknown, reason?: RegExp): void {
  const error = caught(() => parse(definition));
  expect(error.code).toBe(200);
  expect(error.argument).toBe('definition');
  expect(error.attribute).toBeUndefined();
  expect(error.message).toMatch(/^definition was not valid for the following reason: /);
  if (reason !== undefined) expect(error.message).toMatch(reason);
}

function expectViolation(definition: unknown, value: unknown, ctx: RuleContext = CREATE, code: 360 | 362 = 360): DataError {
  const error = caught(() => apply(definition, value, ctx));
  expect(error.code).toBe(code);
  expect(error.attribute).toBe('/attr');
  expect(error.message).toMatch(/^\/attr: value violates rule /);
  return error;
}

// ---------------------------------------------------------------------------------------------
// Parsing and the canonical form
// ---------------------------------------------------------------------------------------------

describe('parseRuleDefinition / ruleDefinitionToJson', () => {
  it.each<[unknown, RuleDefinition, JsonValue]>([
    ['required', { kind: 'required' }, 'required'],
    ['ignore-update', { kind: 'ignore-update' }, 'ignore-update'],
    ['to-lower', { kind: 'to-lower' }, 'to-lower'],
    ['to-upper', { kind: 'to-upper' }, 'to-upper'],
    [{ required: true }, { kind: 'required' }, 'required'],
    [{ 'to-lower': null }, { kind: 'to-lower' }, 'to-lower'],
    [{ match: 'a.c' }, { kind: 'match', pattern: 'a.c', whole: false }, { match: 'a.c' }],
    [{ 'match-all': '[a-z]*' }, { kind: 'match', pattern: '[a-z]*', whole: true }, { 'match-all': '[a-z]*' }],
    [{ match: '' }, { kind: 'match', pattern: '', whole: false }, { match: '' }],
    [{ 'min-length': 0 }, { kind: 'min-length', length: 0 }, { 'min-length': 0 }],
    [{ 'max-length': 25 }, { kind: 'max-length', length: 25 }, { 'max-length': 25 }],
    [{ truncate: 1 }, { kind: 'truncate', length: 1 }, { truncate: 1 }],
    [{ 'less-than': 1.5 }, { kind: 'less-than', limit: 1.5 }, { 'less-than': 1.5 }],
    [{ 'greater-than': -0 }, { kind: 'greater-than', limit: 0 }, { 'greater-than': 0 }],
    [{ 'min-age': 18 }, { kind: 'min-age', years: 18 }, { 'min-age': 18 }],
    [{ default: null }, { kind: 'default', value: null }, { default: null }],
    [{ default: { a: [1, 'x', false] } }, { kind: 'default', value: { a: [1, 'x', false] } }, { default: { a: [1, 'x', false] } }],
    [{ not: 'required' }, { kind: 'not', rule: { kind: 'required' } }, { not: 'required' }],
    [
      { or: [{ 'to-upper': true }, { 'max-length': 3 }] },
      { kind: 'or', rules: [{ kind: 'to-upper' }, { kind: 'max-length', length: 3 }] },
      { or: ['to-upper', { 'max-length': 3 }] },
    ],
  ])('%j', (definition, rule, json) => {
    expect(parse(definition)).toEqual(rule);
    expect(ruleDefinitionToJson(rule)).toEqual(json);
  });

  it('parses the spec example', () => {
    const definition: unknown = JSON.parse('{"and": [{"match-all":"[a-zA-Z]*"}, {"max-length":25}]}');
    const rule = parse(definition);
    expect(rule).toEqual({
      kind: 'and',
      rules: [{ kind: 'match', pattern: '[a-zA-Z]*', whole: true }, { kind: 'max-length', length: 25 }],
    });
    expect(ruleDefinitionToJson(rule)).toEqual(definition);
  });

  it('copies default values in and out', () => {
    const value = { list: [1] };
    const rule = parse({ default: value });
    value.list.push(2);
    expect(rule).toEqual({ kind: 'default', value: { list: [1] } });
    const json = ruleDefinitionToJson(rule) as { default: { list: number[] } };
    json.default.list.push(3);
    expect(rule).toEqual({ kind: 'default', value: { list: [1] } });
  });

  it('keeps a "__proto__" key of a default value as a plain key', () => {
    const definition: unknown = JSON.parse('{"default": {"__proto__": {"polluted": true}}}');
    const rule = parse(definition);
    expect(rule.kind === 'default' && Object.getPrototypeOf(rule.value)).toBe(Object.prototype);
    expect(JSON.stringify(ruleDefinitionToJson(rule))).toBe('{"default":{"__proto__":{"polluted":true}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts nesting up to 16 levels', () => {
    let definition: unknown = 'required';
    for (let i = 1; i < 16; i++) definition = i % 2 === 0 ? { not: definition } : { and: [definition] };
    expect(() => parse(definition)).not.toThrow();
    expectParseError({ not: definition }, /nested more than 16 levels/);
  });
});

describe('malformed definitions → 200', () => {
  it.each<[string, unknown, RegExp?]>([
    ['unknown bare name', 'requried', /unknown rule "requried"/],
    ['argument rule given bare', 'max-length', /needs an argument/],
    ['unknown object name', { 'max-len': 3 }, /unknown rule "max-len"/],
    ['__proto__ as name', JSON.parse('{"__proto__": 1}'), /unknown rule/],
    ['constructor as name', { constructor: 1 }, /unknown rule/],
    ['toString as name', 'toString', /unknown rule/],
    ['number', 42],
    ['null', null],
    ['boolean', true],
    ['array', ['required']],
    ['empty object', {}, /exactly one key/],
    ['two keys', { 'min-length': 1, 'max-length': 2 }, /exactly one key/],
    ['required: false', { required: false }, /takes no argument/],
    ['to-lower: 1', { 'to-lower': 1 }, /takes no argument/],
    ['match: number', { match: 5 }, /regular expression string/],
    ['match: invalid regex', { match: '(' }, /not a valid regular expression/],
    ['match-all: lone brace (unicode mode)', { 'match-all': 'a{' }, /not a valid regular expression/],
    ['match: too long', { match: 'a'.repeat(1001) }, /longer than 1000/],
    ['min-length: negative', { 'min-length': -1 }, /integer of at least 0/],
    ['max-length: fraction', { 'max-length': 2.5 }],
    ['max-length: string', { 'max-length': '25' }],
    ['max-length: unsafe integer', { 'max-length': 2 ** 53 }],
    ['truncate: 0', { truncate: 0 }, /integer of at least 1/],
    ['min-age: negative', { 'min-age': -18 }],
    ['min-age: string', { 'min-age': '18' }],
    ['less-than: string', { 'less-than': '5' }, /finite number/],
    ['less-than: Infinity', { 'less-than': Infinity }],
    ['greater-than: NaN', { 'greater-than': NaN }],
    ['default: undefined', { default: undefined }, /JSON value/],
    ['default: NaN inside', { default: [1, NaN] }],
    ['default: a Date', { default: new Date(0) }],
    ['default: a function', { default: () => 1 }],
    ['default: nested too deep', { default: nest(70) }, /nested at most 64/],
    ['and: empty', { and: [] }, /non-empty array/],
    ['or: not an array', { or: 'required' }, /non-empty array/],
    ['and: bad child', { and: ['required', { 'max-length': -1 }] }],
    ['not: array', { not: ['required'] }],
    ['not: missing rule', { not: null }],
  ])('%s', (_name, definition, reason) => expectParseError(definition, reason));

  it('refuses deep nesting without exhausting the stack', () => {
    let definition: unknown = 'required';
    for (let i = 0; i < 100_000; i++) definition = { not: definition };
    expectParseError(definition, /nested/);
  });
});

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

// ---------------------------------------------------------------------------------------------
// Regular expression safety
// ---------------------------------------------------------------------------------------------

describe('regular expression cost check', () => {
  it.each([
    // Exponential: a repeated group that repeats or alternates inside.
    ['match', '(a+)+b'],
    ['match', '(a*)*b'],
    ['match', '(a|a)*b'],
    ['match-all', '(?:a|b)+'],
    ['match-all', '^[a-z]+(\\.[a-z]+)*$'],
    ['match-all', '(x(a+))+'],
    ['match-all', '(?:a+){2}'],
    ['match-all', '((a|b))*'],
    // Polynomial: chains of overlapping repetitions.
    ['match-all', 'a*a*a*b'],
    ['match-all', '.*.*.*='],
    ['match-all', 'a?a?a?aaa'],
    ['match', 'a*a*b'],
    ['match', '.*.*=.*'],
    ['match', '.*foo.*'],
    ['match', '\\s*\\s*x'],
    ['match', '\\d+\\d*x'],
    ['match', 'a*(?=a*b)'],
    ['match-all', 'a*b*a*c*a*'],
    // A backreference compares up to the capture's length: it counts as a repetition.
    ['match', '(.*)\\1x'],
    ['match-all', '\\w*(a)+\\1{2}'],
    // Ambiguous alternations multiply.
    ['match-all', '(a|a)x(a|a)x(a|a)x(a|a)x(a|a)xy'],
    ['match', '(?:a|ab)(?:b|ba)a+c'],
  ])('%s %s is refused', (name, pattern) => {
    expectParseError({ [name]: pattern }, /pattern/);
  });

  it.each([
    ['match-all', '[a-zA-Z]*'],
    ['match-all', '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}'],
    ['match', '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$'],
    ['match-all', '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}'],
    ['match-all', '(?=.*\\d)(?=.*[a-z])(?=.*[A-Z]).{8,}'],
    ['match-all', '.*foo.*'],
    ['match', 'a+b'],
    ['match', 'colou?r'],
    ['match', 'https?://'],
    ['match', '^\\+?[0-9 ]+$'],
    ['match-all', '(?:Mr|Mrs|Ms)\\.? [A-Z][a-z]+'],
    ['match-all', '\\d+(?:\\.\\d+)?'],
    ['match-all', '(?:ab)+c'],
    ['match-all', '\\p{L}+'],
    ['match', '(\\w+)\\s\\1'],
    ['match-all', '(.*)\\1'],
    ['match', '(?:a|ab)(?:b|ba)c'],
    ['match-all', '[^@\\s]+@[^@\\s]+'],
    ['match', '\\u{1F600}|\\uD83D\\uDE00'],
  ])('%s %s is accepted', (name, pattern) => {
    expect(() => parse({ [name]: pattern })).not.toThrow();
  });

  // The point of the check: whatever it accepts finishes quickly on hostile values of the longest
  // length tested. Patterns come from a small grammar rich in overlaps; values are long runs.
  it('accepted patterns stay fast on long hostile values', () => {
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '\\w', '\\s', 'x', '(?:ab)', '(?:a|b)', '(?:a|ab)');
    const quant = fc.constantFrom('', '', '*', '+', '?', '{1,3}', '{2}');
    const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
    const pattern = fc.tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 6 }), fc.boolean()).map(
      ([start, pieces, group]) => (start ? '^' : '') + (group ? `(${pieces.join('')})+` : pieces.join('')),
    );
    const hostile = ['a'.repeat(MAX_MATCH_VALUE_LENGTH - 1) + '!', 'ab'.repeat(MAX_MATCH_VALUE_LENGTH / 2 - 1) + '!\n', ' '.repeat(MAX_MATCH_VALUE_LENGTH)];
    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.boolean(), (p, whole) => {
        let rule: RuleDefinition;
        try {
          rule = parse({ [whole ? 'match-all' : 'match']: p });
        } catch {
          return;
        }
        accepted++;
        for (const value of hostile) {
          const started = performance.now();
          try {
            applyRule(rule, value, '/attr', CREATE);
          } catch (error) {
            expect((error as DataError).code).toBe(360);
          }
          // A hang takes far longer; the bound leaves room for slow machines.
          expect(performance.now() - started, `${p} on ${value.slice(0, 4)}…`).toBeLessThan(4000);
        }
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------
// Which attribute types a rule fits
// ---------------------------------------------------------------------------------------------

describe('checkRuleApplies', () => {
  const fits = (definition: unknown, type: AttributeType): boolean => {
    try {
      checkRuleApplies(parse(definition), type, '/attr');
      return true;
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).code).toBe(200);
      expect((error as DataError).argument).toBe('definition');
      return false;
    }
  };

  it.each<[unknown, AttributeType[]]>([
    ['required', ['string', 'boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid', 'password', 'object', 'plural']],
    ['ignore-update', ['string', 'boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid', 'password', 'object', 'plural']],
    [{ match: 'x' }, ['string', 'password']],
    [{ 'min-length': 8 }, ['string', 'password']],
    [{ 'max-length': 8 }, ['string', 'password']],
    ['to-lower', ['string']],
    ['to-upper', ['string']],
    [{ truncate: 8 }, ['string']],
    [{ 'less-than': 8 }, ['integer', 'decimal']],
    [{ 'greater-than': 8 }, ['integer', 'decimal']],
    [{ 'min-age': 18 }, ['date']],
    [{ default: 'x' }, ['string', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid', 'password']],
    [{ default: 3 }, ['integer', 'decimal', 'json']],
    [{ default: 3.5 }, ['decimal', 'json']],
    [{ default: true }, ['boolean', 'json']],
    [{ default: [1] }, ['json']],
    [{ default: null }, ['string', 'boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid', 'password']],
    [{ and: ['required', 'to-lower'] }, ['string']],
    [{ or: [{ 'less-than': 0 }, 'required'] }, ['integer', 'decimal']],
    [{ not: { 'min-age': 18 } }, ['date']],
  ])('%j fits exactly %j', (definition, types) => {
    expect(ATTRIBUTE_TYPES.filter((type) => fits(definition, type))).toEqual(types);
  });

  it('names the rule and the attribute', () => {
    const error = caught(() => checkRuleApplies(parse({ and: ['required', 'to-lower'] }), 'integer', '/age'));
    expect(error.message).toBe('definition was not valid for the following reason: rule to-lower cannot apply to the integer attribute /age');
  });
});

// ---------------------------------------------------------------------------------------------
// Applying rules
// ---------------------------------------------------------------------------------------------

describe('validating rules', () => {
  it('required: 362 on null/undefined, passes anything else', () => {
    expectViolation('required', null, CREATE, 362);
    expectViolation('required', undefined, update('x'), 362);
    for (const value of ['', 0, false, 'x', []]) expect(apply('required', value)).toBe(value);
    expect(caught(() => apply('required', null)).message).toBe('/attr: value violates rule required');
  });

  it('match finds the pattern anywhere; match-all needs the whole value', () => {
    expect(apply({ match: 'b+' }, 'abbc')).toBe('abbc');
    expectViolation({ match: 'x' }, 'abc');
    expect(apply({ 'match-all': 'a|ab' }, 'ab')).toBe('ab'); // the alternation is grouped before anchoring
    expectViolation({ 'match-all': 'b+' }, 'abbc');
    expectViolation({ 'match-all': 'abc' }, 'abc\n');
    expect(apply({ match: '^\\p{Lu}' }, 'Élan')).toBe('Élan');
  });

  it('match: the value is tested up to the length limit only', () => {
    const limit = 'a'.repeat(MAX_MATCH_VALUE_LENGTH);
    expect(apply({ 'match-all': 'a*' }, limit)).toBe(limit);
    expectViolation({ 'match-all': 'a*' }, `${limit}a`);
    expectViolation({ match: 'a' }, `${limit}a`);
  });

  it('min-length / max-length count code points', () => {
    expect(apply({ 'min-length': 2 }, 'ab')).toBe('ab');
    expectViolation({ 'min-length': 2 }, 'a');
    expectViolation({ 'min-length': 2 }, '😀'); // two UTF-16 units, one code point
    expect(apply({ 'max-length': 2 }, '😀😀')).toBe('😀😀');
    expectViolation({ 'max-length': 2 }, 'abc');
    expect(apply({ 'max-length': 0 }, '')).toBe('');
  });

  it('less-than / greater-than compare strictly', () => {
    expect(apply({ 'less-than': 10 }, 9.99)).toBe(9.99);
    expectViolation({ 'less-than': 10 }, 10);
    expect(apply({ 'greater-than': -1 }, 0)).toBe(0);
    expectViolation({ 'greater-than': 0 }, 0);
    expectViolation({ 'greater-than': 0 }, -0.5);
  });

  it('the wrong JSON type is a violation, not an exception', () => {
    expectViolation({ 'less-than': 10 }, '5');
    expectViolation({ 'less-than': 10 }, NaN);
    expectViolation({ 'greater-than': 0 }, true);
    expectViolation({ 'max-length': 5 }, 12);
    expectViolation({ 'min-length': 0 }, ['a']);
    expectViolation({ match: '1' }, 1);
    expectViolation({ 'min-age': 18 }, 20);
    expectViolation('to-lower', 5);
    expectViolation({ truncate: 2 }, { a: 1 });
  });

  it('validators other than required pass absent values', () => {
    for (const definition of [{ match: 'x' }, { 'min-length': 3 }, { 'less-than': 0 }, { 'min-age': 18 }, { and: [{ match: 'x' }, { 'max-length': 1 }] }]) {
      expect(apply(definition, null)).toBeNull();
      expect(apply(definition, undefined, update('x'))).toBeUndefined();
    }
  });

  describe('min-age (now = 2024-06-15)', () => {
    it.each([
      ['2006-06-15', true], // 18th birthday today
      ['2006-06-14', true],
      ['2006-06-16', false], // tomorrow
      ['2006-07-01', false],
      ['2005-12-31', true],
      ['2007-01-01', false],
      ['1900-01-01', true],
    ])('18 years, born %s → %s', (birth, ok) => {
      if (ok) expect(apply({ 'min-age': 18 }, birth)).toBe(birth);
      else expectViolation({ 'min-age': 18 }, birth);
    });

    it('uses the UTC day of now', () => {
      const lateUtc = { ...CREATE, now: new Date('2024-06-14T23:30:00-02:00') }; // 2024-06-15 01:30 UTC
      expect(apply({ 'min-age': 18 }, '2006-06-15', lateUtc)).toBe('2006-06-15');
      const earlyUtc = { ...CREATE, now: new Date('2024-06-15T23:30:00Z') };
      expect(apply({ 'min-age': 18 }, '2006-06-15', earlyUtc)).toBe('2006-06-15');
      expectViolation({ 'min-age': 18 }, '2006-06-16', earlyUtc);
    });

    it('someone born on 29 February turns N on 1 March in a common year', () => {
      const rule = { 'min-age': 1 };
      expectViolation(rule, '2020-02-29', { ...CREATE, now: new Date('2021-02-28T12:00:00Z') });
      expect(apply(rule, '2020-02-29', { ...CREATE, now: new Date('2021-03-01T00:00:00Z') })).toBe('2020-02-29');
      expect(apply({ 'min-age': 4 }, '2020-02-29', { ...CREATE, now: new Date('2024-02-29T00:00:00Z') })).toBe('2020-02-29');
    });

    it('min-age 0 refuses only future dates', () => {
      expect(apply({ 'min-age': 0 }, '2024-06-15')).toBe('2024-06-15');
      expectViolation({ 'min-age': 0 }, '2024-06-16');
    });

    it.each(['2006-02-30', '2006-13-01', '0000-01-01', '2006-6-15', '2006-06-15T00:00:00', 'yesterday'])('%s is not a date → 360', (value) => {
      expectViolation({ 'min-age': 0 }, value);
    });

    it('an invalid now proves nothing', () => {
      expectViolation({ 'min-age': 0 }, '2000-01-01', { ...CREATE, now: new Date(NaN) });
    });
  });
});

describe('transforming rules', () => {
  it('default fills an absent value on create only', () => {
    expect(apply({ default: 'en' }, null)).toBe('en');
    expect(apply({ default: 'en' }, undefined)).toBe('en');
    expect(apply({ default: 'en' }, 'fr')).toBe('fr');
    expect(apply({ default: 'en' }, '')).toBe('');
    expect(apply({ default: 'en' }, null, update('fr'))).toBeNull();
    expect(apply({ default: 'en' }, undefined, update(undefined))).toBeUndefined();
  });

  it('default values are copies', () => {
    const rule = parse({ default: { tags: ['a'] } });
    const first = applyRule(rule, null, '/attr', CREATE) as { tags: string[] };
    first.tags.push('b');
    expect(applyRule(rule, null, '/attr', CREATE)).toEqual({ tags: ['a'] });
  });

  it('ignore-update keeps the stored value on update', () => {
    expect(apply('ignore-update', 'new', update('old'))).toBe('old');
    expect(apply('ignore-update', null, update('old'))).toBe('old');
    expect(apply('ignore-update', 'new', update(null))).toBeNull();
    expect(apply('ignore-update', 'new')).toBe('new');
  });

  it('truncate cuts to N code points, never inside a surrogate pair', () => {
    expect(apply({ truncate: 3 }, 'abcdef')).toBe('abc');
    expect(apply({ truncate: 3 }, 'ab')).toBe('ab');
    expect(apply({ truncate: 2 }, '😀😀😀')).toBe('😀😀');
    expect(apply({ truncate: 2 }, 'a\uD800b')).toBe('a\uD800'); // a lone surrogate counts as one
    expect(apply({ truncate: 2 }, null)).toBeNull();
  });

  it('to-lower / to-upper', () => {
    expect(apply('to-lower', 'AbC')).toBe('abc');
    expect(apply('to-upper', 'straße')).toBe('STRASSE');
    expect(apply('to-upper', null)).toBeNull();
  });

  it('isTransforming looks inside and/or/not', () => {
    expect(isTransforming(parse('required'))).toBe(false);
    expect(isTransforming(parse({ and: ['required', { match: 'x' }] }))).toBe(false);
    expect(isTransforming(parse({ and: ['required', { or: [{ not: { truncate: 3 } }] }] }))).toBe(true);
    for (const d of ['ignore-update', 'to-lower', 'to-upper', { default: 1 }, { truncate: 1 }]) expect(isTransforming(parse(d))).toBe(true);
  });
});

describe('and / or / not', () => {
  const example = '{"and": [{"match-all":"[a-zA-Z]*"}, {"max-length":25}]}';

  it('the spec example', () => {
    const definition: unknown = JSON.parse(example);
    expect(apply(definition, 'Alice')).toBe('Alice');
    expect(apply(definition, '')).toBe('');
    expect(apply(definition, null)).toBeNull();
    expect(apply(definition, 'a'.repeat(25))).toBe('a'.repeat(25));
    expect(expectViolation(definition, 'a'.repeat(26)).message).toBe('/attr: value violates rule {"max-length":25}');
    expect(expectViolation(definition, 'Alice B').message).toBe('/attr: value violates rule {"match-all":"[a-zA-Z]*"}');
  });

  it('and: transforms run before validators, whatever the written order', () => {
    expect(apply({ and: [{ 'max-length': 3 }, { truncate: 3 }] }, 'abcdef')).toBe('abc');
    expect(apply({ and: [{ 'match-all': '[a-z]+' }, 'to-lower'] }, 'ABC')).toBe('abc');
    expect(apply({ and: ['required', { default: 'x' }] }, null)).toBe('x');
    // Case mapping before truncation, even when written the other way round.
    expect(apply({ and: [{ truncate: 1 }, 'to-lower'] }, 'İx')).toBe('i');
  });

  it('and: required inside an and still reports 362', () => {
    expectViolation({ and: [{ match: 'x' }, 'required'] }, null, CREATE, 362);
  });

  it('or passes if any child passes, with the transforms of the first passing child', () => {
    expect(apply({ or: [{ 'max-length': 2 }, { 'match-all': '[0-9]+' }] }, '12345')).toBe('12345');
    expect(apply({ or: [{ 'max-length': 2 }, { and: [{ truncate: 4 }, 'to-upper'] }] }, 'abcdef')).toBe('ABCD');
    expect(apply({ or: [{ 'max-length': 10 }, { truncate: 2 }] }, 'abcdef')).toBe('abcdef');
    const error = expectViolation({ or: [{ 'max-length': 2 }, { match: 'z' }] }, 'abc');
    expect(error.message).toBe('/attr: value violates rule {"or":[{"max-length":2},{"match":"z"}]}');
  });

  it('or of required fails with 360 (the or is the rule violated)', () => {
    expectViolation({ or: ['required', 'required'] }, null, CREATE, 360);
  });

  it('not passes when its child fails and never applies its transforms', () => {
    expect(apply({ not: { match: 'admin' } }, 'alice')).toBe('alice');
    expect(expectViolation({ not: { match: 'admin' } }, 'superadmin').message).toBe('/attr: value violates rule {"not":{"match":"admin"}}');
    expect(apply({ not: { and: [{ truncate: 2 }, { 'max-length': 1 }] } }, 'abc')).toBe('abc');
    expectViolation({ not: 'to-lower' }, 'abc');
  });

  it('not of a validator lets absent values through; not required requires absence', () => {
    expect(apply({ not: { match: 'admin' } }, null)).toBeNull();
    expect(apply({ not: 'required' }, null)).toBeNull();
    expectViolation({ not: 'required' }, 'x');
    // "Nothing to say" stays so through any number of nots.
    expect(apply({ not: { not: { match: 'admin' } } }, null)).toBeNull();
    expect(apply({ not: { not: { not: { 'min-length': 3 } } } }, undefined)).toBeUndefined();
  });

  it('or with only absent-value skips takes the first skipping child', () => {
    const definition = { or: [{ and: ['ignore-update', { match: 'x' }] }, { match: 'y' }] };
    expect(apply(definition, undefined, update(null))).toBeNull();
    expectViolation({ or: [{ match: 'x' }, { 'max-length': 1 }] }, 'abc');
  });

  it('long messages are shortened', () => {
    const definition = { or: Array.from({ length: 40 }, (_, i) => ({ match: `^value-number-${i}$` })) };
    const error = expectViolation(definition, 'nope');
    expect(error.message.length).toBeLessThan(230);
    expect(error.message.endsWith('…')).toBe(true);
  });

  it('hand-built rules with a bad pattern fail closed', () => {
    const rule: RuleDefinition = { kind: 'match', pattern: '(a+)+', whole: false };
    expect(caught(() => applyRule(rule, 'aaa', '/attr', CREATE)).code).toBe(360);
    const broken: RuleDefinition = { kind: 'match', pattern: '(', whole: true };
    expect(caught(() => applyRule(broken, 'aaa', '/attr', CREATE)).code).toBe(360);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const SAFE_PATTERNS = ['[a-z]+', '^\\d{3}-\\d{4}$', 'x', '', '\\p{L}', '(?:ab)?c', '[^@]+@[^@]+'];

const leafRule: fc.Arbitrary<RuleDefinition> = fc.oneof(
  fc.constantFrom<RuleDefinition>({ kind: 'required' }, { kind: 'ignore-update' }, { kind: 'to-lower' }, { kind: 'to-upper' }),
  fc.record({ kind: fc.constant('match' as const), pattern: fc.constantFrom(...SAFE_PATTERNS), whole: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('min-length' as const, 'max-length' as const), length: fc.nat(50) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.integer({ min: 1, max: 50 }) }),
  fc.record({
    kind: fc.constantFrom('less-than' as const, 'greater-than' as const),
    limit: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
  }),
  fc.record({ kind: fc.constant('min-age' as const), years: fc.nat(120) }),
  fc.record({ kind: fc.constant('default' as const), value: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue) }),
);

const anyRule: fc.Arbitrary<RuleDefinition> = fc.letrec<{ rule: RuleDefinition }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafRule,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), rules: fc.array(tie('rule'), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('not' as const), rule: tie('rule') }),
  ),
})).rule;

const anyValue = fc.oneof(
  fc.anything(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(null, undefined, '2000-02-29', '2024-06-15', 'ABC', 'abc', 0, -1, 1e308),
);
const anyContext: fc.Arbitrary<RuleContext> = fc.record({
  mode: fc.constantFrom('create' as const, 'update' as const),
  previous: anyValue,
  now: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z') }),
});

function depthOf(rule: RuleDefinition): number {
  if (rule.kind === 'and' || rule.kind === 'or') return 1 + Math.max(...rule.rules.map(depthOf));
  return rule.kind === 'not' ? 1 + depthOf(rule.rule) : 1;
}

describe('properties', () => {
  it('parseRuleDefinition throws nothing but DataError 200 for any JSON', () => {
    const definition = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom('required', 'match', 'match-all', 'and', 'or', 'not', 'default', 'truncate', 'min-age', '__proto__'), fc.jsonValue(), {
        minKeys: 1,
        maxKeys: 2,
      }),
    );
    fc.assert(
      fc.property(definition, (d) => {
        try {
          parseRuleDefinition(d);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).code).toBe(200);
          expect((error as DataError).argument).toBe('definition');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('any pattern text is either accepted or refused with 200 (the cost check never breaks)', () => {
    const syntax = fc.string({ unit: fc.constantFrom(...'()[]{}*+?|^$\\.-,:<>=!0123456789abcdkpuxDdSsWwBbLn'), maxLength: 30 });
    const pattern = fc.oneof(syntax, fc.string({ unit: 'binary', maxLength: 20 }));
    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.boolean(), (p, whole) => {
        try {
          const rule = parseRuleDefinition({ [whole ? 'match-all' : 'match']: p });
          accepted++;
          expect(() => applyRule(rule, 'abc', '/p', CREATE)).not.toThrow(TypeError);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).code).toBe(200);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('parse ∘ toJSON is the identity on valid rules, and the JSON survives serialization', () => {
    fc.assert(
      fc.property(anyRule, (rule) => {
        fc.pre(depthOf(rule) <= 16);
        const json = ruleDefinitionToJson(rule);
        expect(parseRuleDefinition(json)).toEqual(rule);
        expect(parseRuleDefinition(JSON.parse(JSON.stringify(json)))).toEqual(rule);
      }),
      { numRuns: 500 },
    );
  });

  it('applyRule throws only DataError 360/362 for arbitrary values', () => {
    fc.assert(
      fc.property(anyRule, anyValue, anyContext, (rule, value, ctx) => {
        try {
          applyRule(rule, value, '/p', ctx);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect([360, 362]).toContain((error as DataError).code);
          expect((error as DataError).attribute).toBe('/p');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rules without transforms return the value unchanged', () => {
    fc.assert(
      fc.property(anyRule, anyValue, anyContext, (rule, value, ctx) => {
        fc.pre(!isTransforming(rule));
        try {
          expect(applyRule(rule, value, '/p', ctx)).toBe(value);
        } catch {
          // a violation: nothing returned
        }
      }),
      { numRuns: 500 },
    );
  });

  it('transform-only rules are idempotent', () => {
    const transform: fc.Arbitrary<RuleDefinition> = fc.oneof(
      fc.constantFrom<RuleDefinition>({ kind: 'ignore-update' }, { kind: 'to-lower' }, { kind: 'to-upper' }),
      fc.record({ kind: fc.constant('truncate' as const), length: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('default' as const), value: fc.option(fc.string({ unit: 'binary', maxLength: 8 })) }),
    );
    const transforms = fc.letrec<{ rule: RuleDefinition }>((tie) => ({
      rule: fc.oneof(
        { depthSize: 'small' },
        transform,
        fc.record({ kind: fc.constant('and' as const), rules: fc.array(tie('rule'), { minLength: 1, maxLength: 4 }) }),
      ),
    })).rule;
    const text = fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 10 }), fc.constantFrom('İ', 'ß', 'ΑΣ', 'ŉ', 'ΐ', 'K', 'ſ', 'ﬀ')), { nil: undefined });
    const ctx = fc.record({ mode: fc.constantFrom('create' as const, 'update' as const), previous: text, now: fc.constant(NOW) });
    fc.assert(
      fc.property(transforms, text, ctx, (rule, value, context) => {
        const once = applyRule(rule, value, '/p', context);
        expect(applyRule(rule, once, '/p', context)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
