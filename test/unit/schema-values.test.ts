// Unit and property tests for src/domain/schema/values.ts: primitive attribute values, constraints and
// the timestamp input language (spec capture-api §0 timestamps, §5.0; error codes 234, 340-342, 360, 363).
// Expected instants come from an independent oracle (Date arithmetic) or literal constants, never
// from the functions under test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_TYPES, CONSTRAINTS, type AttributeDefinition, type AttributeType, type Constraint } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import {
  checkValueConstraints,
  formatRecordTimestamp,
  normalizeValue,
  parseTimestamp,
  recordToStoredTimestamp,
  renderValue,
  storedToRecordTimestamp,
} from '../../src/domain/schema/values.js';

// ---------------------------------------------------------------------------------------------
// Helpers and oracle
// ---------------------------------------------------------------------------------------------

const NOW = new Date('2024-05-06T07:08:09.123Z');
const NOW_MICROS = 1_714_979_289_123_000;

const def = (type: AttributeType, extra: Partial<AttributeDefinition> = {}): AttributeDefinition => ({ name: 'attr', type, ...extra });

/** The DataError a call throws (fails the test when it returns or throws anything else). */
function dataErrorOf(call: () => unknown): DataError {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error(`expected a DataError, got a result: ${JSON.stringify(result)}`);
}

function expectCode(call: () => unknown, code: number, path?: string): DataError {
  const error = dataErrorOf(call);
  expect(error.code).toBe(code);
  if (path !== undefined) expect(error.attribute).toBe(path);
  return error;
}

const normalize = (type: AttributeType, value: unknown, extra: Partial<AttributeDefinition> = {}): unknown =>
  normalizeValue(def(type, extra), value, '/attr', NOW);

/** Epoch milliseconds of a proleptic Gregorian UTC time; setUTCFullYear, because Date.UTC maps years 0-99 to 1900-1999. */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** Epoch microseconds, as the oracle computes them. */
function utcMicros(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, micros = 0): number {
  return utcMs(year, month, day, hour, minute, second) * 1000 + micros;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` and `HH:MM:SS` of epoch milliseconds via Date#toISOString (valid for years 0000-9999). */
function isoParts(ms: number): { date: string; time: string } {
  const iso = new Date(ms).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** The record form, computed from Date#toISOString plus the microsecond remainder. */
function recordOracle(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const subSecond = micros - Math.floor(micros / 1e6) * 1e6;
  const { date, time } = isoParts(ms);
  return `${date} ${time}.${pad(subSecond, 6)} +0000`;
}

const YEAR_1_MS = utcMs(1, 1, 1);
const YEAR_10000_MS = utcMs(10000, 1, 1);
const ALLOWED_NORMALIZE_CODES = [234, 340, 341, 342, 363];
const PRIMITIVE_TYPES = ATTRIBUTE_TYPES.filter((t) => t !== 'object' && t !== 'plural' && t !== 'id' && t !== 'version');
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

// ---------------------------------------------------------------------------------------------
// normalizeValue, type by type
// ---------------------------------------------------------------------------------------------


// The NUL is the point of this pattern.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Values with no NUL and no unpaired surrogate anywhere (keys included): what idcloud stores. */
function isStorable(value: unknown): boolean {
  if (typeof value === 'string') return !UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.every(isStorable);
  if (typeof value === 'object' && value !== null) return Object.entries(value).every(([k, v]) => !UNSTORABLE.test(k) && isStorable(v));
  return true;
}

function storableString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: 'binary', ...constraints }).filter(isStorable);
}

describe('normalizeValue: null and reserved types', () => {
  it.each(PRIMITIVE_TYPES)('accepts null for %s and returns null', (type) => {
    expect(normalize(type, null)).toBeNull();
  });

  it.each(['id', 'version'] as const)('rejects any value for the reserved type %s with 234, null included', (type) => {
    for (const value of [1, 'x', null, undefined, {}, []]) {
      const error = expectCode(() => normalizeValue({ name: 'lastUpdated', type }, value, '/lastUpdated'), 234, '/lastUpdated');
      expect(error.message).toBe('/lastUpdated: lastUpdated is a reserved attribute and cannot be written');
    }
  });

  it.each(['object', 'plural'] as const)('answers a %s attribute with 341, not a crash', (type) => {
    expectCode(() => normalize(type, { a: 1 }), 341, '/attr');
    expectCode(() => normalize(type, null), 341, '/attr');
  });
});

describe('normalizeValue: string', () => {
  it('keeps the value exactly', () => {
    for (const value of ['', ' padded ', 'Ünïcödé 😀', 'a\nb', '0']) expect(normalize('string', value)).toBe(value);
  });

  it.each([[1], [true], [[]], [{}], [undefined]])('rejects the non-string %j with 341', (value) => {
    const error = expectCode(() => normalizeValue(def('string'), value, '/givenName'), 341, '/givenName');
    expect(error.message).toMatch(/^\/givenName: expected a string but got /);
  });

  it('counts length in code points and rejects longer values with 363', () => {
    const five = '😀😀😀😀😀'; // ten UTF-16 units, five code points
    expect(normalize('string', five, { length: 5 })).toBe(five);
    expect(normalize('string', 'abcde', { length: 5 })).toBe('abcde');
    const error = expectCode(() => normalize('string', 'abcdef', { length: 5 }), 363, '/attr');
    expect(error.message).toBe('/attr: value is 6 characters long; the attribute allows at most 5');
    expectCode(() => normalize('string', `${five}😀`, { length: 5 }), 363);
  });

  it('words the 363 message as documented', () => {
    const error = expectCode(() => normalizeValue(def('string', { length: 256 }), 'x'.repeat(300), '/email'), 363, '/email');
    expect(error.message).toBe('/email: value is 300 characters long; the attribute allows at most 256');
  });

  it('ignores a length that is not a positive integer', () => {
    for (const length of [null, undefined, 0, -3, 2.5]) expect(normalize('string', 'abcdef', { length })).toBe('abcdef');
  });

  it('length property: accepted exactly when the code-point count is within the limit', () => {
    fc.assert(
      fc.property(storableString({ maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (value, length) => {
        const fits = Array.from(value).length <= length;
        if (fits) expect(normalize('string', value, { length })).toBe(value);
        else expectCode(() => normalize('string', value, { length }), 363);
      }),
    );
  });
});

describe('normalizeValue: text every engine can store', () => {
  it('refuses NUL and unpaired surrogates in strings, passwords and json (values and keys) with 340', () => {
    for (const bad of ['a\u0000b', '\ud800', 'x\udc00', '\udbff\u0041']) {
      expectCode(() => normalize('string', bad), 340);
      expectCode(() => normalize('password', bad), 340);
      expectCode(() => normalize('json', { nested: [bad] }), 340);
      expectCode(() => normalize('json', { [bad]: 1 }), 340);
    }
    expect(normalize('string', 'emoji 😀 ok')).toBe('emoji 😀 ok');
  });
});

describe('normalizeValue: boolean, integer, decimal', () => {
  it('accepts JSON booleans only', () => {
    expect(normalize('boolean', true)).toBe(true);
    expect(normalize('boolean', false)).toBe(false);
    for (const value of ['true', 1, 0, [], {}]) expectCode(() => normalize('boolean', value), 341);
  });

  it('accepts safe integers, 340 for other numbers, 341 for non-numbers', () => {
    expect(normalize('integer', 42)).toBe(42);
    expect(normalize('integer', -7)).toBe(-7);
    expect(normalize('integer', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(Object.is(normalize('integer', -0), 0)).toBe(true);
    for (const value of [1.5, 2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY]) expectCode(() => normalize('integer', value), 340, '/attr');
    for (const value of ['42', true, [1], { n: 1 }, 10n, undefined]) expectCode(() => normalize('integer', value), 341, '/attr');
  });

  it('accepts finite numbers as decimals, 341 otherwise', () => {
    expect(normalize('decimal', 1.5)).toBe(1.5);
    expect(normalize('decimal', 3)).toBe(3);
    expect(normalize('decimal', -1e300)).toBe(-1e300);
    expect(Object.is(normalize('decimal', -0), 0)).toBe(true);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1.5', false, [], 1n]) expectCode(() => normalize('decimal', value), 341);
  });

  it('integer property: every safe integer is kept', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(normalize('integer', n)).toBe(n === 0 ? 0 : n);
      }),
    );
  });
});

describe('normalizeValue: date', () => {
  it.each([
    ['2003-01-02', '2003-01-02'],
    ['01/02/2003', '2003-01-02'],
    ['January 2, 2003', '2003-01-02'],
    ['2 Jan 03', '2003-01-02'],
    ['2003-01-02 23:30 -0500', '2003-01-03'], // the UTC date
    ['2003-01-02T01:00:00+02:00', '2003-01-01'],
    ['2004-02-29', '2004-02-29'],
    ['0001-01-01', '0001-01-01'],
    ['9999-12-31', '9999-12-31'],
    ['today', '2024-05-06'],
    ['yesterday', '2024-05-05'],
    ['tomorrow', '2024-05-07'],
    ['now', '2024-05-06'],
  ])('%j → %j', (input, stored) => {
    expect(normalize('date', input)).toBe(stored);
  });

  it('rejects unparseable or impossible dates with 342 and a message naming the attribute', () => {
    const error = expectCode(() => normalizeValue(def('date'), 'not a date', '/birthday', NOW), 342, '/birthday');
    expect(error.message).toBe('/birthday: "not a date" is not a valid date');
    for (const value of ['2003-02-29', '2003-13-01', '2003-00-10', '0000-06-01', '9999-12-31 23:00 -0500', '']) expectCode(() => normalize('date', value), 342);
  });

  it('rejects non-strings with 341', () => {
    for (const value of [20030102, true, [], { y: 2003 }]) expectCode(() => normalize('date', value), 341);
  });
});

describe('normalizeValue: dateTime', () => {
  it.each([
    ['2015-11-15T01:58:01Z', '2015-11-15 01:58:01 +0000'],
    ['2015-11-15 01:58:01 +0000', '2015-11-15 01:58:01 +0000'],
    ['2003-01-02 6:15pm', '2003-01-02 18:15:00 +0000'],
    ['2 Jan 03 18:15:00.00', '2003-01-02 18:15:00 +0000'],
    ['January 2, 2003 11:15am -0700', '2003-01-02 18:15:00 +0000'],
    ['2016-03-13 19:39:17.856608 +0000', '2016-03-13 19:39:17.856608 +0000'],
    ['2016-03-13 19:39:17.5', '2016-03-13 19:39:17.500000 +0000'],
    ['2016-03-13 19:39:17.000000', '2016-03-13 19:39:17 +0000'],
    ['2016-03-13', '2016-03-13 00:00:00 +0000'],
    ['9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999 +0000'],
    ['0001-01-01 00:00:00.000001', '0001-01-01 00:00:00.000001 +0000'],
    ['now', '2024-05-06 07:08:09.123000 +0000'],
    ['yesterday', '2024-05-05 00:00:00 +0000'],
  ])('%j → %j', (input, stored) => {
    expect(normalize('dateTime', input)).toBe(stored);
  });

  it('rejects bad text and years outside 0001-9999 with 342', () => {
    const error = expectCode(() => normalizeValue(def('dateTime'), 'soon', '/lastLogin', NOW), 342, '/lastLogin');
    expect(error.message).toBe('/lastLogin: "soon" is not a valid dateTime');
    expectCode(() => normalize('dateTime', '9999-12-31 23:00 -0500'), 342); // year 10000 in UTC
    expectCode(() => normalize('dateTime', '0001-01-01 00:30 +0100'), 342); // year 0 in UTC
    expectCode(() => normalize('dateTime', '2003-01-02 24:00'), 342);
  });

  it('rejects non-strings with 341', () => {
    for (const value of [1_447_552_681, false, {}]) expectCode(() => normalize('dateTime', value), 341);
  });

  it('property: matches the Date oracle for ISO input with any offset, or 342 outside 0001-9999', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: -(15 * 60 + 59), max: 15 * 60 + 59 }),
        (year, month, day, hour, minute, second, micros, offsetMinutes) => {
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(micros, 6)}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
          const ms = utcMs(year, month, day, hour, minute, second) - offsetMinutes * 60_000;
          if (ms < YEAR_1_MS || ms >= YEAR_10000_MS) {
            expectCode(() => normalize('dateTime', text), 342);
            return;
          }
          const { date, time } = isoParts(ms);
          const expected = micros === 0 ? `${date} ${time} +0000` : `${date} ${time}.${pad(micros, 6)} +0000`;
          expect(normalize('dateTime', text)).toBe(expected);
        },
      ),
    );
  });
});

describe('normalizeValue: time', () => {
  it.each([
    ['18:15', '18:15:00'],
    ['06:05:04', '06:05:04'],
    ['6:15', '06:15:00'],
    ['6:15pm', '18:15:00'],
    ['6:15 PM', '18:15:00'],
    ['6:15 p.m.', '18:15:00'],
    ['11:59:59am', '11:59:59'],
    ['12:00am', '00:00:00'],
    ['12:30pm', '12:30:00'],
    ['6pm', '18:00:00'],
    ['00:00', '00:00:00'],
    ['23:59:59', '23:59:59'],
    ['18:15:00.000', '18:15:00'],
    [' 18:15 ', '18:15:00'],
  ])('%j → %j', (input, stored) => {
    expect(normalize('time', input)).toBe(stored);
  });

  it('rejects invalid times with 342', () => {
    for (const value of ['24:00', '18:60', '18:15:60', '13:00pm', '0:15am', '18:15:00.5', 'noon', '', '1815', '18:15 +0000', '2003-01-02 18:15']) {
      expectCode(() => normalize('time', value), 342, '/attr');
    }
  });

  it('rejects non-strings with 341', () => {
    for (const value of [1815, true, ['18:15']]) expectCode(() => normalize('time', value), 341);
  });
});

describe('normalizeValue: ipAddress', () => {
  it.each([
    ['192.168.1.10', '192.168.1.10'],
    ['192.168.001.010', '192.168.1.10'], // leading zeros are decimal, not octal
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['000.000.000.001', '0.0.0.1'],
  ])('%j → %j', (input, stored) => {
    expect(normalize('ipAddress', input)).toBe(stored);
  });

  it('rejects anything but an IPv4 dotted quad with 340', () => {
    for (const value of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '::1', '::ffff:1.2.3.4', '2001:db8::1', ' 1.2.3.4', '1.2.3.4 ', '0x7f.0.0.1', '1.2.3.0004', '127.1', '', 'localhost']) {
      expectCode(() => normalize('ipAddress', value), 340, '/attr');
    }
  });

  it('rejects non-strings with 341', () => {
    for (const value of [3_232_235_786, [192, 168, 1, 10]]) expectCode(() => normalize('ipAddress', value), 341);
  });

  it('property: four octets, with or without zero padding, give the plain dotted form', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), { minLength: 4, maxLength: 4 }), (octets) => {
        const text = octets.map(([n, zeros]) => String(n).padStart(Math.min(3, String(n).length + zeros), '0')).join('.');
        expect(normalize('ipAddress', text)).toBe(octets.map(([n]) => n).join('.'));
      }),
    );
  });
});

describe('normalizeValue: uuid', () => {
  it('lowercases a valid UUID', () => {
    expect(normalize('uuid', '7DE8F0E4-5112-4E67-9CF7-A735050E965B')).toBe('7de8f0e4-5112-4e67-9cf7-a735050e965b');
    expect(normalize('uuid', '7de8f0e4-5112-4e67-9cf7-a735050e965b')).toBe('7de8f0e4-5112-4e67-9cf7-a735050e965b');
  });

  it('rejects other forms with 340 and non-strings with 341', () => {
    for (const value of ['7de8f0e451124e679cf7a735050e965b', '{7de8f0e4-5112-4e67-9cf7-a735050e965b}', '7de8f0e4-5112-4e67-9cf7-a735050e965', 'g de8f0e4-5112-4e67-9cf7-a735050e965b', '']) {
      expectCode(() => normalize('uuid', value), 340);
    }
    expectCode(() => normalize('uuid', 42), 341);
  });
});

describe('normalizeValue: json', () => {
  it('stores any JSON value as is', () => {
    const object = { a: [1, 'two', null, true, { b: 1.5 }] };
    expect(normalize('json', object)).toBe(object);
    for (const value of ['text', 0, -1.25, false, [], {}, [[[]]]]) expect(normalize('json', value)).toEqual(value);
    expect(normalize('json', Object.create(null) as object)).toEqual({});
  });

  it('rejects what JSON cannot carry with 340', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const withGetter = Object.defineProperty({}, 'x', { get: () => 1, enumerable: true });
    const holey: unknown[] = [1];
    holey[2] = 3;
    const values: unknown[] = [
      undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY, { nested: [1, Number.NaN] }, { u: undefined }, [undefined], 5n,
      Symbol('s'), new Date(0), new Map(), cycle, holey, { [Symbol('k')]: 1 }, withGetter,
      new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
    ];
    for (const value of values) expectCode(() => normalize('json', value), 340, '/attr');
  });

  it('accepts shared (non-cyclic) references', () => {
    const shared = { x: 1 };
    expect(normalize('json', [shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it('rejects nesting deeper than 512 levels with 340 rather than overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expectCode(() => normalize('json', deep), 340);
  });
});

describe('normalizeValue: password', () => {
  it('returns a non-empty string unchanged', () => {
    expect(normalize('password', 'correct horse')).toBe('correct horse');
  });

  it('rejects empty (340), non-strings (341) and over-long values (363)', () => {
    expectCode(() => normalize('password', ''), 340);
    expectCode(() => normalize('password', 12345), 341);
    expectCode(() => normalize('password', 'abcdef', { length: 5 }), 363);
    expect(normalize('password', 'abcde', { length: 5 })).toBe('abcde');
  });

  it('is rendered as null', () => {
    expect(renderValue(def('password'), 'secret')).toBeNull();
    expect(renderValue(def('string'), 'x')).toBe('x');
    expect(renderValue(def('json'), { a: 1 })).toEqual({ a: 1 });
    expect(renderValue(def('dateTime'), '2015-11-15 01:58:01 +0000')).toBe('2015-11-15 01:58:01 +0000');
  });
});

// ---------------------------------------------------------------------------------------------
// checkValueConstraints
// ---------------------------------------------------------------------------------------------

describe('checkValueConstraints', () => {
  const check = (constraint: Constraint, value: unknown, type: AttributeType = 'string'): void =>
    checkValueConstraints(def(type, { constraints: [constraint] }), value, '/attr');

  it.each([
    ['alphabetic', ['abcXYZ', ''], ['abc1', 'a b', 'é', 'a-b']],
    ['alphanumeric', ['abc123XYZ', '0', ''], ['abc_1', 'a b', 'ü1', '1.5']],
    ['unicode-letters', ['Ünïcödé', '日本語', 'e\u0301', ''], ['Mary Ann', 'abc1', 'a-b', '😀']],
    ['unicode-printable', ['Hello, world! 😀 日本', ''], ['a\nb', 'tab\there', 'nul\u0000', 'zw\u200bsp', 'bidi\u202e']],
    [
      'email-address',
      ['a@b.co', 'first.last+tag@sub.example.com', 'x@my-host.example', 'ü@bücher.de', `${'l'.repeat(60)}@${'d'.repeat(60)}.example.com`],
      ['', 'plain', 'a@b', '@b.com', 'a b@c.com', 'a@@b.com', 'a@b@c.com', 'a@-b.com', 'a@b-.com', 'a@b..com', 'a@.com', 'a@b.com.', 'a@b_c.com', `${'x'.repeat(250)}@b.com`],
    ],
  ] as const)('%s', (constraint, good, bad) => {
    for (const value of good) expect(() => check(constraint, value)).not.toThrow();
    for (const value of bad) {
      const error = expectCode(() => check(constraint, value), 360, '/attr');
      expect(error.message).toContain(constraint);
    }
  });

  it('names the value and the constraint in the message', () => {
    const error = dataErrorOf(() => checkValueConstraints(def('string', { constraints: ['alphanumeric'] }), 'a b', '/displayName'));
    expect(error.message).toBe('/displayName: "a b" violates the alphanumeric constraint (ASCII letters and digits only)');
  });

  it('never echoes a password', () => {
    const error = expectCode(() => check('alphanumeric', 'hunter 2!', 'password'), 360);
    expect(error.message).not.toContain('hunter');
  });

  it('ignores required, unique and locally-unique, non-string values and non-text types', () => {
    const all = def('string', { constraints: ['required', 'unique', 'locally-unique'] });
    expect(() => checkValueConstraints(all, '', '/attr')).not.toThrow();
    expect(() => check('alphabetic', 12)).not.toThrow();
    expect(() => check('email-address', null)).not.toThrow();
    expect(() => check('alphanumeric', '7de8f0e4-5112-4e67-9cf7-a735050e965b', 'uuid')).not.toThrow();
    expect(() => check('alphabetic', '2003-01-02', 'date')).not.toThrow();
    expect(() => checkValueConstraints(def('string'), 'a b', '/attr')).not.toThrow();
  });

  it('property: strings from the allowed alphabet pass, one foreign character fails', () => {
    const alnum = fc.string({ unit: fc.constantFrom(...'abcxyzABCXYZ0189') });
    fc.assert(
      fc.property(alnum, alnum, fc.constantFrom(' ', '-', '_', 'é', '\n', '😀'), (before, after, foreign) => {
        expect(() => check('alphanumeric', before + after)).not.toThrow();
        expectCode(() => check('alphanumeric', before + foreign + after), 360);
      }),
    );
  });

  it('property: only ever throws DataError 360', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ATTRIBUTE_TYPES), fc.subarray([...CONSTRAINTS]), fc.oneof(fc.anything(), fc.string({ unit: 'binary' })), (type, constraints, value) => {
        try {
          checkValueConstraints(def(type, { constraints }), value, '/attr');
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).code).toBe(360);
        }
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// parseTimestamp
// ---------------------------------------------------------------------------------------------

describe('parseTimestamp', () => {
  const jan2At1815 = utcMicros(2003, 1, 2, 18, 15);

  it('reads the loose forms of spec §0', () => {
    expect(jan2At1815).toBe(1_041_531_300_000_000);
    expect(parseTimestamp('2003-01-02 6:15pm', NOW)).toBe(jan2At1815);
    expect(parseTimestamp('2 Jan 03 18:15:00.00', NOW)).toBe(jan2At1815);
    expect(parseTimestamp('January 2, 2003 11:15am -0700', NOW)).toBe(jan2At1815);
    expect(parseTimestamp('2016-03-13 19:39:17.856608 +0000', NOW)).toBe(1_457_897_957_856_608);
    expect(parseTimestamp('2015-11-15T01:58:01Z', NOW)).toBe(utcMicros(2015, 11, 15, 1, 58, 1));
  });

  it.each([
    ['2003-01-02', [2003, 1, 2]],
    ['2003-1-2', [2003, 1, 2]],
    ['2003/01/02', [2003, 1, 2]],
    ['2003.01.02', [2003, 1, 2]],
    ['20030102', [2003, 1, 2]],
    ['2003-Jan-02', [2003, 1, 2]],
    ['02-Jan-2003', [2003, 1, 2]],
    ['Jan-02-2003', [2003, 1, 2]],
    ['08-jan-99', [1999, 1, 8]],
    ['jan-08-99', [1999, 1, 8]],
    ['January 2, 2003', [2003, 1, 2]],
    ['jan. 2, 2003', [2003, 1, 2]],
    ['2 January 2003', [2003, 1, 2]],
    ['2003 January 2', [2003, 1, 2]],
    ['Sept 9 2003', [2003, 9, 9]],
    ['2004-02-29', [2004, 2, 29]],
    ['2000-02-29', [2000, 2, 29]],
    ['0001-01-01', [1, 1, 1]],
    ['0099-12-31', [99, 12, 31]],
  ] as const)('date %j', (text, [year, month, day]) => {
    expect(parseTimestamp(text, NOW)).toBe(utcMicros(year, month, day));
  });

  it.each([
    ['01/02/2003', [2003, 1, 2]],
    ['01-02-2003', [2003, 1, 2]],
    ['01.02.2003', [2003, 1, 2]],
    ['02/01/2003', [2003, 2, 1]],
    ['1/2/03', [2003, 1, 2]],
    ['12/13/2003', [2003, 12, 13]],
    ['13/02/2003', [2003, 2, 13]], // cannot be month-first, so day-month-year
    ['01/02/69', [2069, 1, 2]],
    ['01/02/70', [1970, 1, 2]],
    ['01/02/99', [1999, 1, 2]],
    ['01/02/0099', [99, 1, 2]],
  ] as const)('ambiguous numeric date %j is month-day-year', (text, [year, month, day]) => {
    expect(parseTimestamp(text, NOW)).toBe(utcMicros(year, month, day));
  });

  it.each([
    ['2003-01-02 18:15', jan2At1815],
    ['2003-01-02T18:15:00', jan2At1815],
    ['2003-01-02t18:15:00z', jan2At1815],
    ['20030102T181500Z', jan2At1815],
    ['20030102T1815', jan2At1815],
    ['Thu Jan  2 18:15:00 2003', jan2At1815],
    ['Mon, 02 Jan 2003 18:15:00 GMT', jan2At1815],
    ['January 2, 2003 at 6:15 p.m.', jan2At1815],
    ['Jan 2 2003 6pm', utcMicros(2003, 1, 2, 18)],
    ['Jan 2 2003 6 PM', utcMicros(2003, 1, 2, 18)],
    ['2003-01-02 12:15am', utcMicros(2003, 1, 2, 0, 15)],
    ['2003-01-02 12:15pm', utcMicros(2003, 1, 2, 12, 15)],
    ['  2003-01-02   18:15  ', jan2At1815],
  ] as const)('date and time %j', (text, expected) => {
    expect(parseTimestamp(text, NOW)).toBe(expected);
  });

  it.each([
    ['2003-01-02T18:15:00+05:30', utcMicros(2003, 1, 2, 12, 45)],
    ['2003-01-02T18:15:00+0530', utcMicros(2003, 1, 2, 12, 45)],
    ['2003-01-02T18:15:00-07:00', utcMicros(2003, 1, 3, 1, 15)],
    ['2003-01-02 18:15 -07', utcMicros(2003, 1, 3, 1, 15)],
    ['2003-01-02 18:15 +7', utcMicros(2003, 1, 2, 11, 15)],
    ['2003-01-02 18:15 +14:00', utcMicros(2003, 1, 2, 4, 15)],
    ['2003-01-02 18:15 UTC', jan2At1815],
    ['2003-01-02 18:15 UTC+02:00', utcMicros(2003, 1, 2, 16, 15)],
    ['2003-01-02 18:15 GMT-5', utcMicros(2003, 1, 2, 23, 15)],
    ['2003-01-02 18:15 EST', utcMicros(2003, 1, 2, 23, 15)],
    ['2003-01-02 18:15 PDT', utcMicros(2003, 1, 3, 1, 15)],
    ['2003-01-02 18:15 CET', utcMicros(2003, 1, 2, 17, 15)],
    ['2003-01-01 00:30 +01:00', utcMicros(2002, 12, 31, 23, 30)],
    ['2003-01-02 -0700', utcMicros(2003, 1, 2, 7)],
  ] as const)('zone %j', (text, expected) => {
    expect(parseTimestamp(text, NOW)).toBe(expected);
  });

  it.each([
    ['2003-01-02 18:15:00.000001', 1],
    ['2003-01-02 18:15:00.5', 500_000],
    ['2003-01-02 18:15:00,25', 250_000],
    ['2003-01-02 18:15:00.123456', 123_456],
    ['2003-01-02 18:15:00.1234564', 123_456], // rounded at the seventh digit
    ['2003-01-02 18:15:00.1234565', 123_457],
    ['2003-01-02 18:15:59.9999995', 60_000_000], // rounds into the next minute
    ['2003-01-02T18:15:00.999999999Z', 1_000_000],
    ['20030102T181500.25Z', 250_000],
  ] as const)('microseconds %j', (text, extra) => {
    expect(parseTimestamp(text, NOW)).toBe(jan2At1815 + extra);
  });

  it('keeps microseconds through a fixed offset', () => {
    expect(parseTimestamp('2016-03-13 21:39:17.856608 +02:00', NOW)).toBe(1_457_897_957_856_608);
  });

  it.each([
    ['now', NOW_MICROS],
    ['NOW', NOW_MICROS],
    [' now ', NOW_MICROS],
    ['today', utcMicros(2024, 5, 6)],
    ['Today', utcMicros(2024, 5, 6)],
    ['yesterday', utcMicros(2024, 5, 5)],
    ['tomorrow', utcMicros(2024, 5, 7)],
    ['yesterday 18:15', utcMicros(2024, 5, 5, 18, 15)],
    ['today 6pm -0100', utcMicros(2024, 5, 6, 19)],
    ['epoch', 0],
  ] as const)('keyword %j relative to a fixed now', (text, expected) => {
    expect(parseTimestamp(text, NOW)).toBe(expected);
  });

  it('uses the UTC date of now across month and year ends', () => {
    expect(parseTimestamp('yesterday', new Date('2024-03-01T00:30:00Z'))).toBe(utcMicros(2024, 2, 29));
    expect(parseTimestamp('tomorrow', new Date('2023-12-31T23:59:59.999Z'))).toBe(utcMicros(2024, 1, 1));
    expect(parseTimestamp('today', new Date('1969-12-31T12:00:00Z'))).toBe(utcMicros(1969, 12, 31));
    expect(parseTimestamp('now', new Date('1969-12-31T23:59:59.999Z'))).toBe(-1000);
  });

  it('returns null for keywords when now is not a valid date', () => {
    expect(parseTimestamp('now', new Date(Number.NaN))).toBeNull();
    expect(parseTimestamp('today', new Date(Number.NaN))).toBeNull();
    expect(parseTimestamp('2003-01-02', new Date(Number.NaN))).toBe(utcMicros(2003, 1, 2));
  });

  it.each([
    '', '   ', 'not a date', 'x', 'soon', '2003', '2003-01', 'January 2003', 'Jan 2', '18:15', '6pm',
    '2003-02-29', '1900-02-29', '2004-02-30', '2003-13-01', '2003-00-01', '2003-01-00', '2003-01-32', '13/13/2003', '01/32/2003',
    '2003-01-02 24:00', '2003-01-02 18:60', '2003-01-02 18:15:60', '2003-01-02 13:00pm', '2003-01-02 0:30am', '2003-01-02 pm',
    '2003-01-02 18:15 +16:00', '2003-01-02 18:15 +05:60', '2003-01-02 18:15 EST PST', '2003-01-02 18:15 +01 +02',
    '2003-01-02 18:15 18:16', '2003-01-02 2003-01-03', 'Jan 2 2003 Feb', 'Jan 2 2003 4', 'now 18:15', 'today yesterday',
    '2003-01-02 foo', '2003-01-02 18:15 IST', '02-03-jan', 'jan-feb-2003', '2003-01-02 18:15:00.', '1:234',
    '２００３-01-02', '2003-01-02 18:15 \u212Ast', '2003-01-02\u0000', '2003-01-02 (UTC)', `2003-01-02 ${' '.repeat(200)}`,
    '99999-01-01', '12345678901234567890',
  ])('rejects %j', (text) => {
    expect(parseTimestamp(text, NOW)).toBeNull();
  });

  it('property: never throws, and answers an integer or null', () => {
    const vocabulary = fc.constantFrom(
      '2003', '01', '1', '13', '31', '99', '0', '20030102', '181500', '-', '/', '.', ':', ',', ' ', 'T', 'Z', '+', 'am', 'pm', 'a.m.',
      'jan', 'January', 'sept', 'Mon', 'today', 'now', 'yesterday', 'UTC', 'GMT', 'EST', '18:15', '6:15', '18:15:00.123456789', '+05:30', '-0700',
    );
    const texts = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(...'0123456789-/:.,+ TZamp') }),
      fc.array(vocabulary, { maxLength: 12 }).map((parts) => parts.join('')),
      fc.array(vocabulary, { maxLength: 12 }).map((parts) => parts.join(' ')),
    );
    fc.assert(
      fc.property(texts, fc.date({ noInvalidDate: false }), (text, now) => {
        const result = parseTimestamp(text, now);
        if (result !== null) expect(Number.isInteger(result)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: never throws for non-string input either', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(parseTimestamp(value as string, NOW)).toBeNull();
      }),
    );
  });

  it('property: month-name, numeric and ISO spellings of one instant agree with the oracle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (year, month, day, hour, minute) => {
          const expected = utcMicros(year, month, day, hour, minute);
          const hour12 = hour % 12 === 0 ? 12 : hour % 12;
          const meridiem = hour < 12 ? 'am' : 'pm';
          const hhmm = `${pad(hour, 2)}:${pad(minute, 2)}`;
          const spellings = [
            `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${hhmm}:00Z`,
            `${month}/${day}/${pad(year, 4)} ${hour12}:${pad(minute, 2)}${meridiem}`,
            `${MONTH_NAMES[month - 1] ?? ''} ${day}, ${pad(year, 4)} ${hhmm}`,
            `${day} ${(MONTH_NAMES[month - 1] ?? '').slice(0, 3)} ${pad(year, 4)} ${hhmm}:00.00`,
            `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}T${pad(hour, 2)}${pad(minute, 2)}00Z`,
          ];
          for (const text of spellings) expect(parseTimestamp(text, NOW), text).toBe(expected);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Record timestamps
// ---------------------------------------------------------------------------------------------

describe('formatRecordTimestamp, storedToRecordTimestamp, recordToStoredTimestamp', () => {
  const safeMicros = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

  it('formats with six fraction digits', () => {
    expect(formatRecordTimestamp(0)).toBe('1970-01-01 00:00:00.000000 +0000');
    expect(formatRecordTimestamp(1_457_897_957_856_608)).toBe('2016-03-13 19:39:17.856608 +0000');
    expect(formatRecordTimestamp(1_447_552_681_000_000)).toBe('2015-11-15 01:58:01.000000 +0000');
    expect(formatRecordTimestamp(-1)).toBe('1969-12-31 23:59:59.999999 +0000');
    expect(formatRecordTimestamp(-62_135_596_800_000_000)).toBe('0001-01-01 00:00:00.000000 +0000');
    expect(formatRecordTimestamp(1.9)).toBe('1970-01-01 00:00:00.000001 +0000');
  });

  it('rejects non-finite numbers and years outside 0001-9999 with 342', () => {
    for (const micros of [Number.NaN, Number.POSITIVE_INFINITY, -62_135_596_800_000_008, 253_402_300_800_000_000]) {
      expectCode(() => formatRecordTimestamp(micros), 342);
    }
  });

  it('converts the stored form to the record form and back', () => {
    expect(storedToRecordTimestamp('2026-01-02T03:04:05.678000Z')).toBe('2026-01-02 03:04:05.678000 +0000');
    expect(storedToRecordTimestamp('9999-12-31T23:59:59.999999Z')).toBe('9999-12-31 23:59:59.999999 +0000');
    expect(recordToStoredTimestamp('2026-01-02 03:04:05.678000 +0000')).toBe('2026-01-02T03:04:05.678000Z');
    expect(recordToStoredTimestamp('2016-03-13 19:39:17.856608 +0000')).toBe('2016-03-13T19:39:17.856608Z');
    expect(recordToStoredTimestamp('January 2, 2003 11:15am -0700')).toBe('2003-01-02T18:15:00.000000Z');
    expect(recordToStoredTimestamp('0001-01-01 00:00:00.000001 +0000')).toBe('0001-01-01T00:00:00.000001Z');
  });

  it('recordToStoredTimestamp answers null for unparseable text and years outside 0001-9999', () => {
    for (const text of ['garbage', '', '0000-06-01', '9999-12-31 23:00 -0500']) expect(recordToStoredTimestamp(text)).toBeNull();
  });

  it('storedToRecordTimestamp reports corrupt text with 342', () => {
    expectCode(() => storedToRecordTimestamp('not a timestamp'), 342);
    expectCode(() => storedToRecordTimestamp('0000-01-01T00:00:00.000000Z'), 342);
  });

  it('storedToRecordTimestamp takes the last day of each month and refuses days past it', () => {
    expect(storedToRecordTimestamp('2026-01-31T23:59:59.999999Z')).toBe('2026-01-31 23:59:59.999999 +0000');
    expect(storedToRecordTimestamp('2026-04-30T00:00:00.000000Z')).toBe('2026-04-30 00:00:00.000000 +0000');
    expect(storedToRecordTimestamp('2024-02-29T12:00:00.000000Z')).toBe('2024-02-29 12:00:00.000000 +0000');
    expect(storedToRecordTimestamp('2000-02-29T12:00:00.000000Z')).toBe('2000-02-29 12:00:00.000000 +0000');
    for (const stored of ['2026-02-29T12:00:00.000000Z', '1900-02-29T12:00:00.000000Z', '2026-04-31T00:00:00.000000Z', '2026-02-30T00:00:00.000000Z']) {
      expectCode(() => storedToRecordTimestamp(stored), 342);
    }
  });

  it('property: formatRecordTimestamp matches the Date oracle', () => {
    fc.assert(
      fc.property(safeMicros, (micros) => {
        expect(formatRecordTimestamp(micros)).toBe(recordOracle(micros));
      }),
    );
  });

  it('property: format → parse gives back the same microseconds', () => {
    fc.assert(
      fc.property(safeMicros, (micros) => {
        expect(parseTimestamp(formatRecordTimestamp(micros), NOW)).toBe(micros);
      }),
    );
  });

  it('property: record → stored → record is the identity', () => {
    fc.assert(
      fc.property(safeMicros, (micros) => {
        const record = formatRecordTimestamp(micros);
        const stored = recordToStoredTimestamp(record);
        expect(stored).not.toBeNull();
        expect(storedToRecordTimestamp(stored ?? '')).toBe(record);
      }),
    );
  });

  it('property: stored → record → stored is the identity for every year 0001-9999, microseconds exact', () => {
    const stored = fc
      .tuple(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999_999 }),
      )
      .map(([y, mo, d, h, mi, s, us]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(us, 6)}Z`);
    fc.assert(
      fc.property(stored, (text) => {
        const record = storedToRecordTimestamp(text);
        expect(record).toBe(`${text.slice(0, 10)} ${text.slice(11, 26)} +0000`);
        expect(recordToStoredTimestamp(record)).toBe(text);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Whole-module properties
// ---------------------------------------------------------------------------------------------

/** Inputs each type should mostly accept, mixed with some it should not. */
const TIMESTAMP_TEXT = fc.oneof(
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom('am', 'pm'))
    .map(([m, d, y, h, ampm]) => `${m}/${d}/${pad(y, 2)} ${h}:30${ampm}`),
  fc.tuple(fc.constantFrom(...MONTH_NAMES), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 1, max: 9999 }), fc.integer({ min: -15, max: 15 }))
    .map(([m, d, y, off]) => `${m} ${d}, ${pad(y, 4)} 11:15:30.123456789 ${off < 0 ? '-' : '+'}${pad(Math.abs(off), 2)}00`),
  fc.constantFrom('now', 'today', 'yesterday', 'tomorrow', 'epoch', '9999-12-31 23:59:59.9999999', '0001-01-01 00:00:00.0000001'),
  fc.string(),
);

const ACCEPTABLE: Record<(typeof PRIMITIVE_TYPES)[number], fc.Arbitrary<unknown>> = {
  string: storableString(),
  boolean: fc.boolean(),
  integer: fc.oneof(fc.maxSafeInteger(), fc.constant(-0)),
  decimal: fc.double({ noNaN: true, noDefaultInfinity: true }),
  date: TIMESTAMP_TEXT,
  dateTime: TIMESTAMP_TEXT,
  time: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.option(fc.integer({ min: 0, max: 59 }))).map(([h, m, s]) => `${h}:${pad(m, 2)}${s === null ? '' : `:${pad(s, 2)}`}`),
    fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 59 }), fc.constantFrom('am', 'pm', ' PM', 'a.m.')).map(([h, m, ampm]) => `${h}:${pad(m, 2)}${ampm}`),
  ),
  ipAddress: fc.ipV4(),
  uuid: fc.uuid().chain((u) => fc.boolean().map((upper) => (upper ? u.toUpperCase() : u))),
  json: fc.jsonValue().filter(isStorable),
  password: storableString({ minLength: 1 }),
};

describe('whole-module properties', () => {
  it.each(PRIMITIVE_TYPES)('stored %s values are idempotent', (type) => {
    const attribute = def(type, type === 'string' || type === 'password' ? { length: 20 } : {});
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(ACCEPTABLE[type], fc.jsonValue()), (value) => {
        let once: unknown;
        try {
          once = normalizeValue(attribute, value, '/attr', NOW);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          return;
        }
        accepted += 1;
        expect(normalizeValue(attribute, once, '/attr', NOW)).toEqual(once);
      }),
      { numRuns: 300 },
    );
    // The generators must actually exercise the accepting path.
    expect(accepted).toBeGreaterThan(50);
  });

  it('normalizeValue only ever returns or throws DataError 234/340/341/342/363', () => {
    const inputs = fc.oneof(fc.anything(), fc.jsonValue(), fc.string({ unit: 'binary' }), TIMESTAMP_TEXT, fc.double(), fc.bigInt());
    fc.assert(
      fc.property(fc.constantFrom(...ATTRIBUTE_TYPES), fc.option(fc.integer({ min: -2, max: 10 })), inputs, (type, length, value) => {
        try {
          normalizeValue(def(type, { length }), value, '/attr', NOW);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect(ALLOWED_NORMALIZE_CODES).toContain((error as DataError).code);
          expect((error as DataError).attribute).toBe('/attr');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
