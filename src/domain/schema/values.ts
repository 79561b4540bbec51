// Values of primitive attributes (spec capture-api §0 timestamps, §5.0 types and constraints; error
// codes 234, 340-342, 360, 363): checking what a caller sends, the stored (canonical) form, the output
// form, and the loose timestamp input language. Pure: no I/O. Bad input only ever raises DataError.
import ipaddr from 'ipaddr.js';
import type { AttributeDefinition, Constraint } from './attribute-definition.js';
import { DataError } from './data-error.js';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Checks one value given for a primitive attribute and returns its stored (canonical) form. `path` is
 * the attribute's slash path, used in messages and as DataError.attribute. null is accepted and
 * returned as null (required-ness is checked elsewhere), except for the reserved types `id` and
 * `version`, which no write may name at all (234), and `object`/`plural`, which have no single value (341).
 * Throws DataError 341 (wrong JSON type), 340 (bad format), 342 (bad date/dateTime/time), 363 (too long).
 */
export function normalizeValue(def: AttributeDefinition, value: unknown, path: string, now: Date = new Date()): unknown {
  const type = def.type;
  if (type === 'id' || type === 'version') {
    throw new DataError(234, `${path}: ${def.name} is a reserved attribute and cannot be written`, path);
  }
  if (type === 'object' || type === 'plural') {
    // A caller bug (children are checked one by one), but still reported as a data error.
    throw new DataError(341, `${path}: an ${type} attribute has no single value; expected its child attributes`, path);
  }
  if (value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      checkStorableText(value, path);
      checkLength(def, value, path);
      return value;
    case 'password':
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      if (value === '') throw new DataError(340, `${path}: a password cannot be empty`, path);
      checkStorableText(value, path);
      checkLength(def, value, path);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType(path, 'true or false', value);
      return value;
    case 'integer':
      if (typeof value !== 'number') throw wrongType(path, 'a number', value);
      if (!Number.isSafeInteger(value)) {
        throw new DataError(340, `${path}: ${String(value)} is not an integer between -(2^53-1) and 2^53-1`, path);
      }
      return value === 0 ? 0 : value; // -0 has no JSON form of its own
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(path, 'a finite number', value);
      return value === 0 ? 0 : value;
    case 'date':
      return normalizeDate(value, path, now);
    case 'dateTime':
      return normalizeDateTime(value, path, now);
    case 'time':
      return normalizeTime(value, path);
    case 'ipAddress':
      return normalizeIpAddress(value, path);
    case 'uuid':
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      if (!UUID.test(value)) throw new DataError(340, `${path}: ${show(value)} is not a UUID (8-4-4-4-12 hexadecimal digits)`, path);
      return value.toLowerCase();
    case 'json':
      checkJson(value, path);
      return value;
    default: {
      const unknownType: never = type;
      throw new DataError(341, `${path}: attribute type ${String(unknownType)} has no value rules`, path);
    }
  }
}

/**
 * Checks the value-level constraints of def.constraints on an already-normalized non-null value.
 * They are text rules, so only `string` and `password` attributes with a string value are checked
 * (an `alphanumeric` uuid or date could never be written). required/unique/locally-unique are
 * enforced elsewhere. Throws DataError 360 naming the constraint.
 */
export function checkValueConstraints(def: AttributeDefinition, value: unknown, path: string): void {
  if (typeof value !== 'string' || (def.type !== 'string' && def.type !== 'password')) return;
  const constraints: unknown = def.constraints;
  if (!Array.isArray(constraints)) return;
  for (const constraint of constraints as unknown[]) {
    if (typeof constraint !== 'string' || !Object.hasOwn(VALUE_CONSTRAINTS, constraint)) continue;
    const rule = VALUE_CONSTRAINTS[constraint as ValueConstraint];
    if (!rule.test(value)) {
      // A password is never echoed, not even in an error.
      const shown = def.type === 'password' ? 'the value' : show(value);
      throw new DataError(360, `${path}: ${shown} violates the ${constraint} constraint (${rule.meaning})`, path);
    }
  }
}

/** Output form of a stored value (what /entity returns). Identity for most types; password → null (never returned). */
export function renderValue(def: AttributeDefinition, stored: unknown): unknown {
  return def.type === 'password' ? null : stored;
}

/**
 * Parses timestamp input text: ISO-8601 and the loose forms of spec §0 (PostgreSQL-style input with
 * DateStyle MDY), keywords `now`, `today`, `yesterday`, `tomorrow`, `epoch` (relative to `now`, in
 * UTC); no zone ⇒ UTC. Returns epoch microseconds, or null if it cannot parse. Never throws.
 * Microseconds are exact within ±2^53 µs (years 1685-2255); beyond that the number itself cannot hold
 * them, so callers that need exactness for any year use the string functions below.
 */
export function parseTimestamp(text: string, now: Date): number | null {
  const instant = parseInstant(text, now);
  return instant === null ? null : instant.seconds * 1e6 + instant.micros;
}

/** Formats epoch microseconds as the record-timestamp form of `created`/`lastUpdated`: '2016-03-13 19:39:17.856608 +0000'. */
export function formatRecordTimestamp(micros: number): string {
  if (typeof micros !== 'number' || !Number.isFinite(micros)) {
    throw new DataError(342, `${String(micros)} is not a timestamp in microseconds`);
  }
  const whole = Math.floor(micros);
  let seconds = Math.floor(whole / 1e6);
  let fraction = whole - seconds * 1e6;
  // The division can round across a second boundary for large values; put it back.
  if (fraction < 0) {
    seconds -= 1;
    fraction += 1e6;
  } else if (fraction >= 1e6) {
    seconds += 1;
    fraction -= 1e6;
  }
  const instant = { seconds, micros: fraction };
  checkYearRange(instant, String(micros));
  return recordForm(instant);
}

/** Stored-timestamp text of the database layer, '2026-01-02T03:04:05.678000Z' → '2026-01-02 03:04:05.678000 +0000'. */
// Years 0001-9999, months 01-12, days 01-31, hours 00-23, minutes and seconds 00-59; a day past
// the month's end (02-30) falls through to the full parser, which refuses it.
const STORED_TIMESTAMP = /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z$/;

/** Whether the day of a text matching STORED_TIMESTAMP is in its month; digits read as char codes (a quarter of the cost of slicing). */
function storedDayExists(stored: string): boolean {
  const digit = (i: number): number => stored.charCodeAt(i) - 48;
  const day = digit(8) * 10 + digit(9);
  return day <= 28 || day <= daysInMonth(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3), digit(5) * 10 + digit(6));
}

export function storedToRecordTimestamp(stored: string): string {
  // Every record read renders two of these: the stored form is fixed, so check it and rearrange it
  // directly; the full parser costs some 20 times as much.
  if (STORED_TIMESTAMP.test(stored) && storedDayExists(stored)) {
    return `${stored.slice(0, 10)} ${stored.slice(11, 26)} +0000`;
  }
  const instant = parseInstant(stored, new Date(0));
  if (instant === null) throw new DataError(342, `${show(stored)} is not a stored timestamp`);
  checkYearRange(instant, show(stored));
  return recordForm(instant);
}

/** Any timestamp input (see parseTimestamp; keywords relative to the current time) → the stored form, or null if unparseable or outside years 0001-9999. */
export function recordToStoredTimestamp(text: string): string | null {
  const instant = parseInstant(text, new Date());
  if (instant === null || !yearInRange(instant)) return null;
  const { date, time } = splitInstant(instant);
  return `${date}T${time}.${pad(instant.micros, 6)}Z`;
}

// ---------------------------------------------------------------------------------------------
// Per-type helpers
// ---------------------------------------------------------------------------------------------

/** A UUID in the 8-4-4-4-12 form, either case: record uuids, and the ids of Hosted Login objects. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkLength(def: AttributeDefinition, value: string, path: string): void {
  const limit = def.length;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) return;
  // UTF-16 length bounds the code-point count from above, so most values need no counting.
  if (value.length <= limit) return;
  const count = countCodePoints(value);
  if (count > limit) {
    throw new DataError(363, `${path}: value is ${count} characters long; the attribute allows at most ${limit}`, path);
  }
}

function countCodePoints(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

function normalizeDate(value: unknown, path: string, now: Date): string {
  if (typeof value !== 'string') throw wrongType(path, 'a date string', value);
  const instant = parseInstant(value, now);
  if (instant === null || !yearInRange(instant)) throw new DataError(342, `${path}: ${show(value)} is not a valid date`, path);
  return splitInstant(instant).date;
}

function normalizeDateTime(value: unknown, path: string, now: Date): string {
  if (typeof value !== 'string') throw wrongType(path, 'a dateTime string', value);
  const instant = parseInstant(value, now);
  if (instant === null) throw new DataError(342, `${path}: ${show(value)} is not a valid dateTime`, path);
  if (!yearInRange(instant)) throw new DataError(342, `${path}: ${show(value)} is outside the years 0001-9999`, path);
  const { date, time } = splitInstant(instant);
  return instant.micros === 0 ? `${date} ${time} +0000` : `${date} ${time}.${pad(instant.micros, 6)} +0000`;
}

const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*([ap])\.?m\.?)?$/;
const HOUR_ONLY = /^(\d{1,2})\s*([ap])\.?m\.?$/;

function normalizeTime(value: unknown, path: string): string {
  if (typeof value !== 'string') throw wrongType(path, 'a time string', value);
  const text = value.trim().toLowerCase();
  const match = TIME_OF_DAY.exec(text);
  const hourOnly = match === null ? HOUR_ONLY.exec(text) : null;
  const invalid = () => new DataError(342, `${path}: ${show(value)} is not a valid time (HH:MM or HH:MM:SS)`, path);
  let hour: number;
  let minute = 0;
  let second = 0;
  let meridiem: string | undefined;
  if (match !== null) {
    hour = Number(match[1]);
    minute = Number(match[2]);
    second = match[3] === undefined ? 0 : Number(match[3]);
    // Stored with whole seconds: a fraction is accepted only when dropping it loses nothing.
    if (match[4] !== undefined && /[1-9]/.test(match[4])) throw invalid();
    meridiem = match[5];
  } else if (hourOnly !== null) {
    hour = Number(hourOnly[1]);
    meridiem = hourOnly[2];
  } else {
    throw invalid();
  }
  const hour24 = applyMeridiem(hour, meridiem);
  if (hour24 === null || minute > 59 || second > 59) throw invalid();
  return `${pad(hour24, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
}

function normalizeIpAddress(value: unknown, path: string): string {
  if (typeof value !== 'string') throw wrongType(path, 'a string', value);
  const invalid = () => new DataError(340, `${path}: ${show(value)} is not an IPv4 address (four decimal numbers 0-255)`, path);
  // Leading zeros are read as decimal and dropped (ipaddr.js alone would read `010` as octal 8).
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (parts === null) throw invalid();
  const decimal = parts.slice(1).map((part) => String(Number(part))).join('.');
  if (!ipaddr.IPv4.isValidFourPartDecimal(decimal)) throw invalid();
  return ipaddr.IPv4.parse(decimal).toString();
}

const MAX_JSON_DEPTH = 512;

/** Accepts exactly what JSON can carry; anything JSON.stringify would drop or fail on is 340. */
/**
 * Text every engine can store and index: PostgreSQL's jsonb (which the attribute indexes read) has
 * no NUL character and no unpaired surrogate, so neither is accepted anywhere.
 */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkStorableText(text: string, path: string): void {
  if (text.includes('\u0000')) throw new DataError(340, `${path}: text cannot contain the NUL character (U+0000)`, path);
  if (UNPAIRED_SURROGATE.test(text)) throw new DataError(340, `${path}: text contains an unpaired surrogate (not valid Unicode)`, path);
}

function checkJson(value: unknown, path: string): void {
  const fail = (why: string) => new DataError(340, `${path}: the value is not JSON (${why})`, path);
  const active = new Set<object>();
  const visit = (item: unknown, depth: number): void => {
    if (depth > MAX_JSON_DEPTH) throw fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    switch (typeof item) {
      case 'string':
        checkStorableText(item, path);
        return;
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(item)) throw fail(`${String(item)} is not a JSON number`);
        return;
      case 'object':
        break;
      default:
        throw fail(`contains ${typeof item === 'undefined' ? 'undefined' : `a ${typeof item}`}`);
    }
    if (item === null) return;
    if (active.has(item)) throw fail('contains a cycle');
    active.add(item);
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i += 1) {
        if (!Object.prototype.hasOwnProperty.call(item, i)) throw fail('an array has a hole');
        visit(item[i] as unknown, depth + 1);
      }
    } else {
      const proto: unknown = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null) throw fail('contains a non-plain object');
      if (Object.getOwnPropertySymbols(item).length > 0) throw fail('an object has symbol keys');
      for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(item))) {
        if (!('value' in descriptor)) throw fail(`property ${JSON.stringify(key)} is an accessor`);
        checkStorableText(key, path);
        visit(descriptor.value, depth + 1);
      }
    }
    active.delete(item);
  };
  try {
    visit(value, 0);
  } catch (error) {
    if (error instanceof DataError) throw error;
    // Exotic objects (proxies) can throw from any reflection call; they are not JSON either.
    throw fail('it cannot be inspected');
  }
}

// ---------------------------------------------------------------------------------------------
// Constraints
// ---------------------------------------------------------------------------------------------

type ValueConstraint = Extract<Constraint, 'alphabetic' | 'alphanumeric' | 'unicode-letters' | 'unicode-printable' | 'email-address'>;

const VALUE_CONSTRAINTS: Record<ValueConstraint, { test: (value: string) => boolean; meaning: string }> = {
  alphabetic: { test: (v) => /^[A-Za-z]*$/.test(v), meaning: 'ASCII letters only' },
  alphanumeric: { test: (v) => /^[A-Za-z0-9]*$/.test(v), meaning: 'ASCII letters and digits only' },
  'unicode-letters': { test: (v) => /^[\p{L}\p{M}]*$/u.test(v), meaning: 'letters only' },
  // \p{C}: control, format, surrogate, private-use and unassigned code points.
  'unicode-printable': { test: (v) => !/\p{C}/u.test(v), meaning: 'no control or unprintable characters' },
  'email-address': { test: isEmailAddress, meaning: 'must be an email address' },
};

const EMAIL_LOCAL = /^[^\s@\p{C}]+$/u;
const EMAIL_LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?$/u;

/** A practical check, not RFC 5322: one '@', a local part without spaces, a dotted domain of letter/digit/hyphen labels. */
export function isEmailAddress(value: string): boolean {
  if (countCodePoints(value) > 254) return false;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  return EMAIL_LOCAL.test(local) && labels.length >= 2 && labels.every((label) => EMAIL_LABEL.test(label));
}

// ---------------------------------------------------------------------------------------------
// Timestamp input language
// ---------------------------------------------------------------------------------------------

/** An instant split so that every year 0000-9999 keeps exact microseconds. */
interface Instant {
  /** Whole seconds since 1970-01-01 00:00:00 UTC. */
  seconds: number;
  /** 0-999999. */
  micros: number;
}

type Token =
  | { kind: 'date'; parts: [string, string, string] }
  | { kind: 'time'; hour: number; minute: number; second: number; fraction: string }
  | { kind: 'number'; digits: string; fraction: string | undefined }
  | { kind: 'word'; word: string }
  | { kind: 'offset'; seconds: number };

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1], ['january', 1], ['feb', 2], ['february', 2], ['mar', 3], ['march', 3], ['apr', 4], ['april', 4],
  ['may', 5], ['jun', 6], ['june', 6], ['jul', 7], ['july', 7], ['aug', 8], ['august', 8], ['sep', 9], ['sept', 9],
  ['september', 9], ['oct', 10], ['october', 10], ['nov', 11], ['november', 11], ['dec', 12], ['december', 12],
]);

const WEEKDAYS: ReadonlySet<string> = new Set([
  'mon', 'monday', 'tue', 'tues', 'tuesday', 'wed', 'wednesday', 'thu', 'thur', 'thurs', 'thursday', 'fri', 'friday',
  'sat', 'saturday', 'sun', 'sunday',
]);

/** Zone names → offset east of UTC in hours. Only unambiguous, common abbreviations. */
const ZONES: ReadonlyMap<string, number> = new Map([
  ['z', 0], ['utc', 0], ['gmt', 0], ['ut', 0], ['zulu', 0],
  ['est', -5], ['edt', -4], ['cst', -6], ['cdt', -5], ['mst', -7], ['mdt', -6], ['pst', -8], ['pdt', -7],
  ['akst', -9], ['akdt', -8], ['hst', -10],
  ['wet', 0], ['west', 1], ['cet', 1], ['cest', 2], ['eet', 2], ['eest', 3], ['jst', 9],
]);

/** Zone words after which an offset (`UTC+2`, `GMT-05:00`) gives the actual offset. */
const UTC_WORDS: ReadonlySet<string> = new Set(['z', 'utc', 'gmt', 'ut']);

/** Words that only join the other fields ('2015-11-15 T 01:58', 'Jan 2, 2003 at 6pm', '2003 AD'). */
const FILLER_WORDS: ReadonlySet<string> = new Set(['t', 'at', 'ad']);

const DAY_SHIFTS: ReadonlyMap<string, number> = new Map([['today', 0], ['yesterday', -1], ['tomorrow', 1]]);

const MAX_INPUT = 128;
const SECONDS_PER_DAY = 86_400;

const SEPARATORS = /[\s,]+/y;
const TIME_TOKEN = /(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?![\d:.])/y;
const DATE_TOKEN = /(\d{1,4}|[a-z]{3,9})([-/.])(\d{1,4}|[a-z]{3,9})\2(\d{1,4}|[a-z]{3,9})(?![a-z\d])/y;
const NUMBER_TOKEN = /(\d+)(?:\.(\d+))?(?![\d:.])/y;
const WORD_TOKEN = /([a-z]+)\.?/y;
const OFFSET_TOKEN = /([+-])(\d{1,2})(?::?(\d{2}))?(?![\d:])/y;

function stickyMatch(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const gap = stickyMatch(SEPARATORS, text, at);
    if (gap !== null) {
      at += gap[0].length;
      continue;
    }
    const char = text.charAt(at);
    let match: RegExpExecArray | null;
    if (char >= '0' && char <= '9') {
      if ((match = stickyMatch(TIME_TOKEN, text, at)) !== null) {
        tokens.push({ kind: 'time', hour: Number(match[1]), minute: Number(match[2]), second: Number(match[3] ?? '0'), fraction: match[4] ?? '' });
      } else if ((match = stickyMatch(DATE_TOKEN, text, at)) !== null) {
        tokens.push({ kind: 'date', parts: [match[1] ?? '', match[3] ?? '', match[4] ?? ''] });
      } else if ((match = stickyMatch(NUMBER_TOKEN, text, at)) !== null) {
        tokens.push({ kind: 'number', digits: match[1] ?? '', fraction: match[2] });
      } else {
        return null;
      }
    } else if (char >= 'a' && char <= 'z') {
      if ((match = stickyMatch(DATE_TOKEN, text, at)) !== null) {
        tokens.push({ kind: 'date', parts: [match[1] ?? '', match[3] ?? '', match[4] ?? ''] });
      } else if ((match = stickyMatch(WORD_TOKEN, text, at)) !== null) {
        tokens.push({ kind: 'word', word: match[1] ?? '' });
      } else {
        return null;
      }
    } else if (char === '+' || char === '-') {
      match = stickyMatch(OFFSET_TOKEN, text, at);
      if (match === null) return null;
      const hours = Number(match[2]);
      const minutes = Number(match[3] ?? '0');
      if (hours > 15 || minutes > 59) return null;
      tokens.push({ kind: 'offset', seconds: (match[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60) });
    } else {
      return null;
    }
    at += match[0].length;
  }
  return tokens;
}

/** Two-digit years: 00-69 → 2000s, 70-99 → 1900s (PostgreSQL's rule). */
function yearFrom(text: string): number {
  const year = Number(text);
  if (text.length > 2) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}

/** Assigns the three parts of '2003-01-02', '01/02/2003', '02-Jan-2003', 'Jan-02-03'. */
function resolveDateParts(parts: [string, string, string]): { year: number; month: number; day: number } | null {
  const named = parts.map((part) => (/^[a-z]/.test(part) ? part : null));
  const nameCount = named.filter((part) => part !== null).length;
  if (nameCount > 1) return null;
  if (nameCount === 1) {
    const nameIndex = named.findIndex((part) => part !== null);
    if (nameIndex === 2) return null;
    const month = MONTHS.get(parts[nameIndex] ?? '');
    if (month === undefined) return null;
    const numbers = parts.filter((_, i) => i !== nameIndex);
    const dayYear = assignDayYear(numbers[0] ?? '', numbers[1] ?? '');
    return dayYear === null ? null : { month, ...dayYear };
  }
  const [first, second, third] = parts;
  if (first.length >= 3) {
    if (second.length > 2 || third.length > 2) return null;
    return { year: Number(first), month: Number(second), day: Number(third) };
  }
  if (second.length > 2) return null;
  // Ambiguous numeric dates are month-day-year (spec §0), unless the first part cannot be a month.
  let month = Number(first);
  let day = Number(second);
  if (month > 12 && day <= 12) [month, day] = [day, month];
  return { year: yearFrom(third), month, day };
}

/** With a month name, the two numbers are day and year: a 3-4 digit number is the year, otherwise day comes first. */
function assignDayYear(a: string, b: string): { year: number; day: number } | null {
  if (a.length > 4 || b.length > 4) return null;
  if (a.length >= 3 && b.length >= 3) return null;
  if (a.length >= 3) return { year: Number(a), day: Number(b) };
  return { year: yearFrom(b), day: Number(a) };
}

function applyMeridiem(hour: number, meridiem: string | undefined): number | null {
  if (meridiem === undefined) return hour <= 23 ? hour : null;
  if (hour < 1 || hour > 12) return null;
  if (meridiem === 'a') return hour === 12 ? 0 : hour;
  return hour === 12 ? 12 : hour + 12;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); Date.UTC maps years 0-99 to 1900s. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthIndex = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthIndex + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Digits of a second's fraction → microseconds, rounded half up at the seventh digit (may be 1e6). */
function microsFrom(fraction: string): number {
  if (fraction.length <= 6) return Number(fraction.padEnd(6, '0'));
  const micros = Number(fraction.slice(0, 6));
  return fraction.charAt(6) >= '5' ? micros + 1 : micros;
}

function instantFromNow(now: Date): Instant | null {
  const ms = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) return null;
  const seconds = Math.floor(ms / 1000);
  return { seconds, micros: (ms - seconds * 1000) * 1000 };
}

function parseInstant(input: unknown, now: Date): Instant | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT) return null;
  // ASCII only: keeps case folding from turning e.g. the Kelvin sign into a plain 'k'.
  if (!/^[\x20-\x7e\t]*$/.test(input)) return null;
  const text = input
    .trim()
    .toLowerCase()
    .replace(/(?<=\d)t(?=\d)/g, ' ') // ISO 'T' between date and time
    .replace(/(?<![a-z])([ap])\.m\.?/g, '$1m'); // 'a.m.' / 'p.m.'
  if (text === 'now') return instantFromNow(now);
  if (text === 'epoch') return { seconds: 0, micros: 0 };
  const tokens = tokenize(text);
  return tokens === null || tokens.length === 0 ? null : decode(tokens, now);
}

function decode(tokens: Token[], now: Date): Instant | null {
  let date: { year: number; month: number; day: number } | undefined;
  let dayShift: number | undefined;
  let monthName: number | undefined;
  const loose: string[] = [];
  let time: { hour: number; minute: number; second: number; fraction: string } | undefined;
  let meridiem: string | undefined;
  let offset: number | undefined;
  let utcWordBefore = false;
  let compactDate = false;
  let weekdaySeen = false;

  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token === undefined) return null;
    const afterUtcWord = utcWordBefore;
    utcWordBefore = false;
    switch (token.kind) {
      case 'date': {
        if (date !== undefined || dayShift !== undefined || monthName !== undefined || loose.length > 0) return null;
        const resolved = resolveDateParts(token.parts);
        if (resolved === null) return null;
        date = resolved;
        break;
      }
      case 'time':
        if (time !== undefined) return null;
        time = token;
        break;
      case 'number': {
        const { digits, fraction } = token;
        const next = tokens[i + 1];
        if (digits.length === 8 && fraction === undefined && date === undefined && dayShift === undefined && monthName === undefined && loose.length === 0) {
          // ISO basic form: 20030102
          date = { year: Number(digits.slice(0, 4)), month: Number(digits.slice(4, 6)), day: Number(digits.slice(6)) };
          compactDate = true;
        } else if (compactDate && time === undefined && (digits.length === 6 || (digits.length === 4 && fraction === undefined))) {
          // ISO basic time after a basic date: 181500 or 1815
          time = { hour: Number(digits.slice(0, 2)), minute: Number(digits.slice(2, 4)), second: Number(digits.slice(4) || '0'), fraction: fraction ?? '' };
        } else if (next?.kind === 'word' && (next.word === 'am' || next.word === 'pm') && time === undefined && digits.length <= 2 && fraction === undefined) {
          // '6pm'
          time = { hour: Number(digits), minute: 0, second: 0, fraction: '' };
        } else if (fraction === undefined && digits.length <= 4) {
          loose.push(digits);
        } else {
          return null;
        }
        break;
      }
      case 'word': {
        const { word } = token;
        const month = MONTHS.get(word);
        const zone = ZONES.get(word);
        const shift = DAY_SHIFTS.get(word);
        if (month !== undefined) {
          if (monthName !== undefined || date !== undefined || dayShift !== undefined) return null;
          monthName = month;
        } else if (word === 'am' || word === 'pm') {
          if (meridiem !== undefined) return null;
          meridiem = word.charAt(0);
        } else if (zone !== undefined) {
          if (offset !== undefined) return null;
          offset = zone * 3600;
          utcWordBefore = UTC_WORDS.has(word);
        } else if (shift !== undefined) {
          if (date !== undefined || dayShift !== undefined || monthName !== undefined) return null;
          dayShift = shift;
        } else if (WEEKDAYS.has(word)) {
          // The day of the week is redundant with the date and ignored, as PostgreSQL does.
          if (weekdaySeen) return null;
          weekdaySeen = true;
        } else if (!FILLER_WORDS.has(word)) {
          return null;
        }
        break;
      }
      case 'offset':
        if (offset !== undefined && !afterUtcWord) return null;
        offset = token.seconds;
        break;
    }
  }

  if (monthName !== undefined) {
    if (loose.length !== 2) return null;
    const dayYear = assignDayYear(loose[0] ?? '', loose[1] ?? '');
    if (dayYear === null) return null;
    date = { month: monthName, ...dayYear };
  } else if (loose.length > 0) {
    return null;
  }

  let days: number;
  if (dayShift !== undefined) {
    const current = instantFromNow(now);
    if (current === null) return null;
    days = Math.floor(current.seconds / SECONDS_PER_DAY) + dayShift;
  } else if (date !== undefined) {
    const { year, month, day } = date;
    if (year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    days = daysFromCivil(year, month, day);
  } else {
    return null;
  }

  let secondOfDay = 0;
  let micros = 0;
  if (time !== undefined) {
    const hour = applyMeridiem(time.hour, meridiem);
    if (hour === null || time.minute > 59 || time.second > 59) return null;
    secondOfDay = hour * 3600 + time.minute * 60 + time.second;
    micros = microsFrom(time.fraction);
  } else if (meridiem !== undefined) {
    return null;
  }

  let seconds = days * SECONDS_PER_DAY + secondOfDay - (offset ?? 0);
  if (micros === 1e6) {
    seconds += 1;
    micros = 0;
  }
  return { seconds, micros };
}

// ---------------------------------------------------------------------------------------------
// Timestamp output
// ---------------------------------------------------------------------------------------------

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function splitInstant(instant: Instant): { date: string; time: string; year: number } {
  const days = Math.floor(instant.seconds / SECONDS_PER_DAY);
  const secondOfDay = instant.seconds - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  const second = secondOfDay % 60;
  return { date: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, time: `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`, year };
}

function yearInRange(instant: Instant): boolean {
  const { year } = splitInstant(instant);
  return year >= 1 && year <= 9999;
}

function checkYearRange(instant: Instant, shown: string): void {
  if (!yearInRange(instant)) throw new DataError(342, `${shown} is outside the years 0001-9999`);
}

function recordForm(instant: Instant): string {
  const { date, time } = splitInstant(instant);
  return `${date} ${time}.${pad(instant.micros, 6)} +0000`;
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

const SHOWN_LENGTH = 60;

/** A value quoted for a message, cut short so one bad value cannot flood a response. */
function show(value: unknown): string {
  if (typeof value !== 'string') return jsonTypeOf(value);
  return JSON.stringify(value.length > SHOWN_LENGTH ? `${value.slice(0, SHOWN_LENGTH)}…` : value);
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isFinite(value) ? 'a number' : `${String(value)} (not a JSON number)`;
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    case 'undefined':
      return 'no value';
    default:
      return `a ${typeof value} (not a JSON value)`;
  }
}

function wrongType(path: string, expected: string, value: unknown): DataError {
  return new DataError(341, `${path}: expected ${expected} but got ${jsonTypeOf(value)}`, path);
}
