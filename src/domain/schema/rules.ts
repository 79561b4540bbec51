// Validation rules of the Entity Type API (spec capture-api §5.0 "Validation rules", §5.8-§5.10): the
// `definition` JSON of /entityType.addRule, its canonical form for /entityType.rules, which attribute
// types a rule fits, and applying a rule to one value. Pure: no I/O. Bad input only raises DataError.
//
// Choices made here (the spec leaves them open):
// - Order inside `and`: nested `and`s are flattened, then the children run in stages, keeping the
//   caller's order within a stage: value sources (default, ignore-update), case mappings (to-lower,
//   to-upper), `or`/`not` that contain transforms, truncate, and last everything that only
//   validates. So "transforming rules run before validating ones" (spec) holds across a whole `and`
//   tree, and truncate comes after case mapping (which can lengthen a string, e.g. "İ"), which keeps
//   transform-only rules idempotent.
// - `or` takes the first child that passes (with its transforms); `not` passes when its child fails
//   and never applies the child's transforms.
// - Absent values (null/undefined): validating rules other than `required` have nothing to say
//   ("skip"), and `not` of "skip" is "skip", so `{"not": {"match": "x"}}` does not reject an absent
//   value. and/or combine pass/skip/fail like Kleene's three-valued logic; only "fail" is a violation.
// - A value of the wrong JSON type for a rule (less-than on a string, to-lower on a number) is a
//   violation (360), never an exception: the record layer may hand over any normalized value.
// - Lengths count code points (not UTF-16 units); case mapping is String#toLowerCase/toUpperCase
//   (locale-independent full mapping).
// - min-age: the date is 'YYYY-MM-DD' (years 0001-9999), compared with `now`'s UTC calendar day; a
//   person born on 29 February turns N on 1 March in non-leap years. A future birth date fails even
//   min-age 0.
// - Regular expressions come from the owner, values from end users. A pattern is refused (200) when
//   backtracking could blow up on a hostile value; see `checkPatternCost` below. Matching also stops
//   at MAX_MATCH_VALUE_LENGTH: longer values violate match rules without being tested.
import type { AttributeType } from './attribute-definition.js';
import { DataError } from './data-error.js';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type RuleDefinition =
  | { kind: 'required' }
  | { kind: 'ignore-update' }
  | { kind: 'to-lower' }
  | { kind: 'to-upper' }
  /** `match` (whole: false) finds the pattern anywhere; `match-all` (whole: true) needs all of the value. */
  | { kind: 'match'; pattern: string; whole: boolean }
  | { kind: 'min-length'; length: number }
  | { kind: 'max-length'; length: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'less-than'; limit: number }
  | { kind: 'greater-than'; limit: number }
  | { kind: 'min-age'; years: number }
  | { kind: 'default'; value: JsonValue }
  | { kind: 'and'; rules: RuleDefinition[] }
  | { kind: 'or'; rules: RuleDefinition[] }
  | { kind: 'not'; rule: RuleDefinition };

export type RuleKind = RuleDefinition['kind'];

/** Rules written as a bare string (or `{"name": true|null}`). */
export const NO_ARGUMENT_RULES = ['required', 'ignore-update', 'to-lower', 'to-upper'] as const;
/** Every name a definition may use. */
export const RULE_NAMES = [
  ...NO_ARGUMENT_RULES, 'match', 'match-all', 'min-length', 'max-length', 'truncate', 'less-than', 'greater-than',
  'min-age', 'default', 'and', 'or', 'not',
] as const;

/** and/or/not levels, counting the outermost rule as level 1. */
export const MAX_RULE_DEPTH = 16;
export const MAX_PATTERN_LENGTH = 1000;
/** Longer values are never handed to a regular expression (UTF-16 units). */
export const MAX_MATCH_VALUE_LENGTH = 10_000;
/** Nesting limit of a `default` value, so copying it cannot exhaust the stack. */
export const MAX_DEFAULT_DEPTH = 64;

/**
 * Parses and checks a definition given by a caller. Throws DataError(200, `definition was not valid
 * for the following reason: ...`, undefined, 'definition') on anything malformed: unknown rule name,
 * wrong argument type, invalid or too costly regex, empty and/or, nesting deeper than MAX_RULE_DEPTH.
 */
export function parseRuleDefinition(definition: unknown): RuleDefinition {
  return parseAt(definition, 1);
}

/** The canonical JSON form (what /entityType.rules returns); parse(toJSON(r)) deep-equals r. */
export function ruleDefinitionToJson(rule: RuleDefinition): JsonValue {
  switch (rule.kind) {
    case 'required':
    case 'ignore-update':
    case 'to-lower':
    case 'to-upper':
      return rule.kind;
    case 'match':
      return rule.whole ? { 'match-all': rule.pattern } : { match: rule.pattern };
    case 'min-length':
    case 'max-length':
    case 'truncate':
      return { [rule.kind]: rule.length };
    case 'less-than':
    case 'greater-than':
      return { [rule.kind]: rule.limit };
    case 'min-age':
      return { 'min-age': rule.years };
    case 'default':
      // A copy: the caller may serialize or alter it without touching the rule.
      return { default: copyJson(rule.value, 0) ?? null };
    case 'and':
    case 'or':
      return { [rule.kind]: rule.rules.map(ruleDefinitionToJson) };
    case 'not':
      return { not: ruleDefinitionToJson(rule.rule) };
  }
}

/** Whether a rule (anywhere inside it) transforms values (default, ignore-update, truncate, to-lower, to-upper). */
export function isTransforming(rule: RuleDefinition): boolean {
  switch (rule.kind) {
    case 'default':
    case 'ignore-update':
    case 'truncate':
    case 'to-lower':
    case 'to-upper':
      return true;
    case 'and':
    case 'or':
      return rule.rules.some(isTransforming);
    case 'not':
      return isTransforming(rule.rule);
    default:
      return false;
  }
}

/**
 * Checks that every rule inside `rule` fits an attribute of this type; throws DataError 200 (argument
 * 'definition') naming the first that does not. Text rules that only validate (match, lengths) fit
 * `string` and `password`; text transforms (truncate, case) only `string`, so a password is never
 * silently altered; `default` fits primitive types and its value must have the type's JSON type
 * (the caller still normalizes it like any written value). `id`/`version` take no rules at all.
 */
export function checkRuleApplies(rule: RuleDefinition, type: AttributeType, path: string): void {
  const refuse = (why: string): never => {
    throw new DataError(200, `${INVALID}${why}`, undefined, 'definition');
  };
  if (type === 'id' || type === 'version') refuse(`${path} is a system attribute (${type}) and takes no rules`);
  const fits = (r: RuleDefinition, types: readonly AttributeType[]): void => {
    if (!types.includes(type)) refuse(`rule ${ruleName(r)} cannot apply to the ${type} attribute ${path}`);
  };
  switch (rule.kind) {
    case 'required':
    case 'ignore-update':
      return;
    case 'match':
    case 'min-length':
    case 'max-length':
      return fits(rule, ['string', 'password']);
    case 'truncate':
    case 'to-lower':
    case 'to-upper':
      return fits(rule, ['string']);
    case 'less-than':
    case 'greater-than':
      return fits(rule, ['integer', 'decimal']);
    case 'min-age':
      return fits(rule, ['date']);
    case 'default':
      if (type === 'object' || type === 'plural') refuse(`rule default cannot apply to the ${type} attribute ${path}`);
      if (!defaultFits(rule.value, type)) refuse(`the default value does not fit the ${type} attribute ${path}`);
      return;
    case 'and':
    case 'or':
      for (const child of rule.rules) checkRuleApplies(child, type, path);
      return;
    case 'not':
      return checkRuleApplies(rule.rule, type, path);
  }
}

export interface RuleContext {
  /** 'create' for entity.create / bulk create, 'update' for update/replace */
  mode: 'create' | 'update';
  /** the value currently stored (undefined on create) */
  previous: unknown;
  now: Date;
}

/**
 * Applies a rule to one attribute value (already type-normalized: strings, numbers, 'YYYY-MM-DD'
 * dates, booleans, or null/undefined for absent) and returns the possibly transformed value.
 * Transforming parts run first, then validating ones (see the top of this file for and/or/not).
 * A violation throws DataError(360, `<path>: value violates rule <rule>`, path); a missing value
 * under `required` throws DataError 362. Validating rules other than `required` pass absent values.
 */
export function applyRule(rule: RuleDefinition, value: unknown, path: string, ctx: RuleContext): unknown {
  const outcome = evaluate(rule, value, ctx);
  if (outcome.status === 'fail') {
    throw new DataError(outcome.code, `${path}: value violates rule ${describeRule(outcome.failing)}`, path);
  }
  return outcome.value;
}

/** A short text naming a rule, for messages: its canonical JSON, shortened. */
export function describeRule(rule: RuleDefinition): string {
  const json = ruleDefinitionToJson(rule);
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const INVALID = 'definition was not valid for the following reason: ';

function invalid(why: string): DataError {
  return new DataError(200, `${INVALID}${why}`, undefined, 'definition');
}

function parseAt(definition: unknown, depth: number): RuleDefinition {
  if (depth > MAX_RULE_DEPTH) throw invalid(`rules are nested more than ${MAX_RULE_DEPTH} levels deep`);
  if (typeof definition === 'string') {
    if (isNoArgumentRule(definition)) return { kind: definition };
    if (isRuleName(definition)) throw invalid(`rule ${definition} needs an argument: {"${definition}": ...}`);
    throw invalid(`unknown rule ${quote(definition)}`);
  }
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw invalid('a rule is a rule name or an object with exactly one key, the rule name');
  }
  const keys = Object.keys(definition);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) {
    throw invalid(`a rule object has exactly one key, the rule name; got ${keys.length}`);
  }
  // Own data property read; `name` may be any string, including "__proto__".
  const arg = Object.getOwnPropertyDescriptor(definition, name)?.value as unknown;
  if (isNoArgumentRule(name)) {
    if (arg !== true && arg !== null) throw invalid(`rule ${name} takes no argument (use "${name}")`);
    return { kind: name };
  }
  switch (name) {
    case 'match':
    case 'match-all': {
      if (typeof arg !== 'string') throw invalid(`rule ${name} needs a regular expression string`);
      const whole = name === 'match-all';
      const problem = patternProblem(arg, whole);
      if (problem !== null) throw invalid(`rule ${name}: ${problem}`);
      return { kind: 'match', pattern: arg, whole };
    }
    case 'min-length':
    case 'max-length':
      return { kind: name, length: integerArgument(name, arg, 0) };
    case 'truncate':
      return { kind: name, length: integerArgument(name, arg, 1) };
    case 'min-age':
      return { kind: name, years: integerArgument(name, arg, 0) };
    case 'less-than':
    case 'greater-than':
      if (typeof arg !== 'number' || !Number.isFinite(arg)) throw invalid(`rule ${name} needs a finite number`);
      return { kind: name, limit: arg === 0 ? 0 : arg }; // -0 has no JSON form of its own
    case 'default': {
      const value = copyJson(arg, 0);
      if (value === undefined) {
        throw invalid(`rule default needs a JSON value (nested at most ${MAX_DEFAULT_DEPTH} levels)`);
      }
      return { kind: 'default', value };
    }
    case 'and':
    case 'or': {
      if (!Array.isArray(arg) || arg.length === 0) throw invalid(`rule ${name} needs a non-empty array of rules`);
      const rules = (arg as unknown[]).map((child) => parseAt(child, depth + 1));
      return { kind: name, rules };
    }
    case 'not':
      return { kind: 'not', rule: parseAt(arg, depth + 1) };
    default:
      throw invalid(`unknown rule ${quote(name)}`);
  }
}

function integerArgument(name: string, arg: unknown, min: number): number {
  if (typeof arg !== 'number' || !Number.isSafeInteger(arg) || arg < min) {
    throw invalid(`rule ${name} needs an integer of at least ${min}`);
  }
  return arg === 0 ? 0 : arg;
}

function isNoArgumentRule(name: string): name is (typeof NO_ARGUMENT_RULES)[number] {
  return (NO_ARGUMENT_RULES as readonly string[]).includes(name);
}

function isRuleName(name: string): boolean {
  return (RULE_NAMES as readonly string[]).includes(name);
}

function quote(text: string): string {
  return JSON.stringify(text.length <= 60 ? text : `${text.slice(0, 60)}…`);
}

/**
 * A deep copy of a JSON value, or undefined when `value` is not one (undefined, functions, symbols,
 * bigints, non-finite numbers, class instances, holes) or nests deeper than MAX_DEFAULT_DEPTH.
 * Objects are rebuilt with fromEntries, so a "__proto__" key stays a plain key.
 */
function copyJson(value: unknown, depth: number): JsonValue | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? (value === 0 ? 0 : value) : undefined;
  if (typeof value !== 'object' || depth >= MAX_DEFAULT_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = copyJson((value as unknown[])[i], depth + 1);
      if (item === undefined) return undefined;
      out.push(item);
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const entries: [string, JsonValue][] = [];
  for (const key of Object.keys(value)) {
    const item = copyJson(Object.getOwnPropertyDescriptor(value, key)?.value, depth + 1);
    if (item === undefined) return undefined;
    entries.push([key, item]);
  }
  return Object.fromEntries<JsonValue>(entries);
}

function ruleName(rule: RuleDefinition): string {
  return rule.kind === 'match' ? (rule.whole ? 'match-all' : 'match') : rule.kind;
}

function defaultFits(value: JsonValue, type: AttributeType): boolean {
  if (value === null) return true; // filling an absent value with null changes nothing
  switch (type) {
    case 'json':
      return true;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'decimal':
      return typeof value === 'number';
    case 'string':
    case 'password':
    case 'date':
    case 'dateTime':
    case 'time':
    case 'ipAddress':
    case 'uuid':
      return typeof value === 'string';
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** pass: the rule holds; skip: a validator had nothing to check (absent value); fail: violation. */
type Outcome =
  | { status: 'pass' | 'skip'; value: unknown }
  | { status: 'fail'; failing: RuleDefinition; code: 360 | 362 };

const pass = (value: unknown): Outcome => ({ status: 'pass', value });
const fail = (failing: RuleDefinition): Outcome => ({ status: 'fail', failing, code: 360 });
const absent = (value: unknown): value is null | undefined => value === null || value === undefined;

function evaluate(rule: RuleDefinition, value: unknown, ctx: RuleContext): Outcome {
  switch (rule.kind) {
    case 'required':
      return absent(value) ? { status: 'fail', failing: rule, code: 362 } : pass(value);
    case 'default':
      return pass(ctx.mode === 'create' && absent(value) ? copyJson(rule.value, 0) ?? null : value);
    case 'ignore-update':
      return pass(ctx.mode === 'update' ? ctx.previous : value);
    case 'truncate':
      if (absent(value)) return pass(value);
      return typeof value === 'string' ? pass(truncateCodePoints(value, rule.length)) : fail(rule);
    case 'to-lower':
    case 'to-upper':
      if (absent(value)) return pass(value);
      if (typeof value !== 'string') return fail(rule);
      return pass(rule.kind === 'to-lower' ? value.toLowerCase() : value.toUpperCase());
    case 'and':
      return evaluateAnd(rule, value, ctx);
    case 'or': {
      let skipped: Outcome | undefined;
      for (const child of rule.rules) {
        const outcome = evaluate(child, value, ctx);
        if (outcome.status === 'pass') return outcome;
        if (outcome.status === 'skip') skipped ??= outcome;
      }
      return skipped ?? fail(rule);
    }
    case 'not': {
      const outcome = evaluate(rule.rule, value, ctx);
      if (outcome.status === 'pass') return fail(rule);
      return { status: outcome.status === 'skip' ? 'skip' : 'pass', value };
    }
    default:
      if (absent(value)) return { status: 'skip', value };
      return holds(rule, value, ctx.now) ? pass(value) : fail(rule);
  }
}

function evaluateAnd(rule: RuleDefinition & { kind: 'and' }, value: unknown, ctx: RuleContext): Outcome {
  const children = flattenAnd(rule.rules, []);
  const ordered = children.map((child, index) => ({ child, index, stage: stage(child) }));
  ordered.sort((a, b) => a.stage - b.stage || a.index - b.index);
  let current = value;
  let skipped = false;
  for (const { child } of ordered) {
    const outcome = evaluate(child, current, ctx);
    if (outcome.status === 'fail') return outcome;
    if (outcome.status === 'skip') skipped = true;
    current = outcome.value;
  }
  return { status: skipped ? 'skip' : 'pass', value: current };
}

function flattenAnd(rules: readonly RuleDefinition[], into: RuleDefinition[]): RuleDefinition[] {
  for (const r of rules) {
    if (r.kind === 'and') flattenAnd(r.rules, into);
    else into.push(r);
  }
  return into;
}

/** Run order inside an `and` (see the top of the file). */
function stage(rule: RuleDefinition): number {
  switch (rule.kind) {
    case 'default':
    case 'ignore-update':
      return 0;
    case 'to-lower':
    case 'to-upper':
      return 1;
    case 'truncate':
      return 3;
    default:
      return isTransforming(rule) ? 2 : 4;
  }
}

/** The validating leaf rules, on a present value. */
function holds(rule: RuleDefinition, value: unknown, now: Date): boolean {
  switch (rule.kind) {
    case 'match': {
      if (typeof value !== 'string' || value.length > MAX_MATCH_VALUE_LENGTH) return false;
      const regex = compiledPattern(rule.pattern, rule.whole);
      return regex !== null && regex.test(value);
    }
    case 'min-length':
      return typeof value === 'string' && codePointLength(value) >= rule.length;
    case 'max-length':
      return typeof value === 'string' && codePointLength(value) <= rule.length;
    case 'less-than':
      return typeof value === 'number' && Number.isFinite(value) && value < rule.limit;
    case 'greater-than':
      return typeof value === 'number' && Number.isFinite(value) && value > rule.limit;
    case 'min-age':
      return typeof value === 'string' && oldEnough(value, rule.years, now);
    default:
      return false; // not a validating leaf: only reached for hand-built rules
  }
}

function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  let i = 0;
  while (i < text.length && count < max) {
    const unit = text.charCodeAt(i);
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    i += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
    count++;
  }
  return text.slice(0, i);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether someone born on `date` ('YYYY-MM-DD') is at least `years` old on now's UTC day. */
function oldEnough(date: string, years: number, now: Date): boolean {
  const m = DATE.exec(date);
  if (m === null || Number.isNaN(now.getTime())) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  // Compare (birth year + years, month, day) with today as tuples: no Date arithmetic to overflow.
  const y = now.getUTCFullYear();
  const mo = now.getUTCMonth() + 1;
  const d = now.getUTCDate();
  const turns = year + years;
  return turns < y || (turns === y && (month < mo || (month === mo && day <= d)));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------
// Regular expressions
// ---------------------------------------------------------------------------------------------

const compiled = new Map<string, RegExp | null>();
const COMPILED_LIMIT = 500;

/** The RegExp for a match rule, or null when the pattern is invalid or too costly (a hand-built rule). */
function compiledPattern(pattern: string, whole: boolean): RegExp | null {
  const key = `${whole ? 'A' : 'S'}${pattern}`;
  let regex = compiled.get(key);
  if (regex === undefined) {
    regex = patternProblem(pattern, whole) === null ? new RegExp(whole ? `^(?:${pattern})$` : pattern, 'u') : null;
    if (compiled.size >= COMPILED_LIMIT) compiled.clear(); // crude bound; rules rarely change
    compiled.set(key, regex);
  }
  return regex;
}

/** Why a pattern is refused, or null when it is fine. */
function patternProblem(pattern: string, whole: boolean): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `the pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    // V8's message repeats the whole pattern before the reason; keep the reason.
    const reason = error instanceof Error ? error.message.slice(error.message.lastIndexOf(': ') + 2) : 'syntax error';
    return `${quote(pattern)} is not a valid regular expression (${reason})`;
  }
  return checkPatternCost(pattern, whole);
}

/*
 * Backtracking cost check. V8's regex engine backtracks, so some patterns take exponential or
 * high-polynomial time on hostile input (ReDoS). The owner writes the pattern but end users write the
 * values, so a pattern must be safe for every value up to MAX_MATCH_VALUE_LENGTH. The check is purely
 * syntactic and conservative (it refuses some harmless patterns, never needs to run them):
 *
 * 1. Nested quantifiers: a group repeated more than once (`*`, `+`, `{n,}`, `{2}`...) that contains a
 *    quantifier or an alternation anywhere inside is refused: `(a+)+`, `(a*)*`, `(a|a)*`, and also
 *    `(\.[a-z]+)*`. `?` (at most once) on such a group is allowed.
 * 2. Overlapping repetitions: walking the pattern left to right, we keep the characters that the
 *    variable-count atoms seen so far can take (`a*`, `[a-z]+`, `x?`, `\d{1,3}`...). A mandatory
 *    character that none of them can take (`@` in `[a-z]+@`) fixes where they end, so the set is
 *    reset. A new variable atom that can take a character in the set extends an ambiguous chain
 *    (`a*a*`, `.*x.*`): each link multiplies the work by the value length. Chains may be at most 2
 *    long when the match is anchored at the start (match-all, or `^` before every alternative) and
 *    1 otherwise (an unanchored search already tries every start position), so the work is at
 *    worst about length². Measured at 10,000 characters: mostly well under 0.1 s; the slowest found
 *    by random search (a capturing group retried inside such a chain, e.g. `\w*(a){2}$` searched in
 *    "aaa…") about 2 s.
 * 3. Ambiguous alternations: an alternation whose branches can start with the same character (or
 *    match nothing) may try every branch; the product of their branch counts is capped at 16, and
 *    at 2 when the pattern already reaches length².
 * Lookarounds are scanned where they stand (they run at each position) and leave the set as it was.
 * A backreference offers no choice but compares up to the capture's length, so it counts as a
 * variable "any character" atom.
 */
function checkPatternCost(pattern: string, whole: boolean): string | null {
  let alternatives: Term[][];
  try {
    alternatives = new PatternReader(pattern).disjunction();
  } catch {
    return `${quote(pattern)} could not be analysed`; // should not happen after RegExp accepted it
  }
  const anchored = whole || alternatives.every((seq) => seq[0]?.kind === 'start');
  const cost = new Cost();
  const result = cost.alternatives(alternatives, EMPTY_RUN);
  if (result === 'nested') return 'the pattern repeats a group that itself repeats or alternates, e.g. (a+)+ or (a|b)*';
  // The work grows like length^degree: an unanchored search tries every start position.
  const degree = cost.maxChain + (anchored ? 0 : 1);
  if (degree > 2) {
    return anchored
      ? 'the pattern has more than two repetitions that can match the same characters in a row, e.g. a*a*a*'
      : 'the pattern has repetitions that can match the same characters in a row, e.g. .*x.* (anchor it with ^ or use match-all)';
  }
  if (cost.ambiguity > (degree === 2 ? 2 : 16)) return 'the pattern has too many alternatives that can match the same text';
  return null;
}

/** Code point ranges [from, to], not necessarily sorted or disjoint. */
type CharSet = readonly (readonly [number, number])[];

type Term =
  | { kind: 'char'; set: CharSet }
  | { kind: 'start' } // ^
  | { kind: 'assert' } // $ \b \B
  | { kind: 'backref' }
  | { kind: 'group'; alternatives: Term[][]; look: boolean }
  | { kind: 'quant'; atom: Term; min: number; max: number };

const MAX_CODE_POINT = 0x10ffff;
const ANY: CharSet = [[0, MAX_CODE_POINT]];
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: CharSet = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f],
  [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];

const single = (cp: number): CharSet => [[cp, cp]];

function complement(set: CharSet): CharSet {
  const sorted = [...set].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let next = 0;
  for (const [from, to] of sorted) {
    if (from > next) out.push([next, from - 1]);
    next = Math.max(next, to + 1);
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  return a.some(([af, at]) => b.some(([bf, bt]) => af <= bt && bf <= at));
}

/**
 * A reader for patterns that `new RegExp(p, 'u')` already accepted, so it can trust the syntax: in
 * unicode mode `{` is always a quantifier, assertions are never quantified, classes do not nest.
 */
class PatternReader {
  private i = 0;
  constructor(private readonly p: string) {}

  disjunction(): Term[][] {
    const alternatives = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): Term[] {
    const terms: Term[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      const atom = this.atom();
      const quantifier = this.quantifier();
      terms.push(quantifier === null ? atom : { kind: 'quant', atom, ...quantifier });
    }
    return terms;
  }

  private atom(): Term {
    const c = this.p[this.i];
    switch (c) {
      case '^':
        this.i++;
        return { kind: 'start' };
      case '$':
        this.i++;
        return { kind: 'assert' };
      case '.':
        this.i++;
        return { kind: 'char', set: ANY };
      case '[':
        return { kind: 'char', set: this.characterClass() };
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      default:
        return { kind: 'char', set: single(this.codePoint()) };
    }
  }

  private group(): Term {
    this.i++; // (
    let look = false;
    if (this.p[this.i] === '?') {
      const rest = this.p.slice(this.i, this.i + 3);
      if (rest.startsWith('?:')) this.i += 2;
      else if (rest.startsWith('?=') || rest.startsWith('?!')) [this.i, look] = [this.i + 2, true];
      else if (rest === '?<=' || rest === '?<!') [this.i, look] = [this.i + 3, true];
      else this.i = this.p.indexOf('>', this.i) + 1; // (?<name>
    }
    const alternatives = this.disjunction();
    this.expect(')');
    return { kind: 'group', alternatives, look };
  }

  private quantifier(): { min: number; max: number } | null {
    let min: number;
    let max: number;
    switch (this.p[this.i]) {
      case '*':
        [min, max] = [0, Infinity];
        this.i++;
        break;
      case '+':
        [min, max] = [1, Infinity];
        this.i++;
        break;
      case '?':
        [min, max] = [0, 1];
        this.i++;
        break;
      case '{': {
        const end = this.p.indexOf('}', this.i);
        const [low = '', high] = this.p.slice(this.i + 1, end).split(',');
        min = Number(low);
        max = high === undefined ? min : high === '' ? Infinity : Number(high);
        this.i = end + 1;
        break;
      }
      default:
        return null;
    }
    if (this.p[this.i] === '?') this.i++; // lazy: same choices, other order
    return { min, max };
  }

  private characterClass(): CharSet {
    this.i++; // [
    let negated = false;
    if (this.p[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const ranges: (readonly [number, number])[] = [];
    while (this.i < this.p.length && this.p[this.i] !== ']') {
      const from = this.classAtom();
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== ']' && from.length === 1 && from[0]?.[0] === from[0]?.[1]) {
        this.i++;
        const to = this.classAtom();
        ranges.push([from[0]?.[0] ?? 0, to[0]?.[1] ?? MAX_CODE_POINT]);
      } else {
        ranges.push(...from);
      }
    }
    this.expect(']');
    return negated ? complement(ranges) : ranges;
  }

  private classAtom(): CharSet {
    if (this.p[this.i] !== '\\') return single(this.codePoint());
    const term = this.escape(true);
    return term.kind === 'char' ? term.set : ANY;
  }

  private escape(inClass = false): Term {
    this.i++; // backslash
    const c = this.p[this.i] ?? '';
    this.i++;
    const char = (set: CharSet): Term => ({ kind: 'char', set });
    switch (c) {
      case 'd':
        return char(DIGIT);
      case 'D':
        return char(complement(DIGIT));
      case 'w':
        return char(WORD);
      case 'W':
        return char(complement(WORD));
      case 's':
        return char(SPACE);
      case 'S':
        return char(complement(SPACE));
      case 'p':
      case 'P':
        this.i = this.p.indexOf('}', this.i) + 1;
        return char(ANY); // a Unicode property: taken as "anything" (conservative)
      case 'b':
        return inClass ? char(single(8)) : { kind: 'assert' };
      case 'B':
        return { kind: 'assert' };
      case 'k':
        this.i = this.p.indexOf('>', this.i) + 1;
        return { kind: 'backref' };
      case 'n':
        return char(single(10));
      case 'r':
        return char(single(13));
      case 't':
        return char(single(9));
      case 'v':
        return char(single(11));
      case 'f':
        return char(single(12));
      case '0':
        return char(single(0));
      case 'c':
        this.i++;
        return char(single((this.p.charCodeAt(this.i - 1) % 32)));
      case 'x':
        this.i += 2;
        return char(single(parseInt(this.p.slice(this.i - 2, this.i), 16)));
      case 'u': {
        let cp: number;
        if (this.p[this.i] === '{') {
          const end = this.p.indexOf('}', this.i);
          cp = parseInt(this.p.slice(this.i + 1, end), 16);
          this.i = end + 1;
        } else {
          cp = parseInt(this.p.slice(this.i, this.i + 4), 16);
          this.i += 4;
        }
        // Half of an escaped surrogate pair: which character it forms is not tracked.
        return char(cp >= 0xd800 && cp <= 0xdfff ? ANY : single(cp));
      }
      default:
        if (c >= '1' && c <= '9') {
          while (/[0-9]/.test(this.p[this.i] ?? '')) this.i++;
          return { kind: 'backref' };
        }
        return char(single(c.codePointAt(0) ?? 0)); // identity escape: a syntax character
    }
  }

  private codePoint(): number {
    const cp = this.p.codePointAt(this.i) ?? 0;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private expect(c: string): void {
    if (this.p[this.i] !== c) throw new Error(`expected ${c}`);
    this.i++;
  }
}

/** Characters the open ambiguous chain can take, and how many overlapping variable atoms it has. */
interface Run {
  set: CharSet;
  chain: number;
}
const EMPTY_RUN: Run = { set: [], chain: 0 };

class Cost {
  maxChain = 0;
  ambiguity = 1;

  /** The run after the alternatives, or 'nested' when rule 1 refuses the pattern. */
  alternatives(alternatives: readonly Term[][], run: Run): Run | 'nested' {
    if (alternatives.length > 1 && ambiguous(alternatives)) this.ambiguity *= alternatives.length;
    const runs: Run[] = [];
    for (const seq of alternatives) {
      let current: Run | 'nested' = run;
      for (const term of seq) {
        current = this.term(term, current);
        if (current === 'nested') return current;
      }
      runs.push(current);
    }
    return joinRuns(runs);
  }

  private term(term: Term, run: Run): Run | 'nested' {
    switch (term.kind) {
      case 'char':
        return intersects(term.set, run.set) ? run : EMPTY_RUN;
      case 'start':
      case 'assert':
        return run;
      case 'backref':
        // No choice, but comparing costs up to the length of the capture: like a loop over anything.
        return this.variable(ANY, run);
      case 'group': {
        const after = this.alternatives(term.alternatives, run);
        return term.look && after !== 'nested' ? run : after;
      }
      case 'quant': {
        const { atom, min, max } = term;
        if (max === 0) return run;
        if (atom.kind === 'group' && max > 1 && (hasQuantifier(atom) || hasAlternation(atom))) return 'nested';
        if (min === max) return this.term(atom, run); // a fixed count offers no choice
        if (atom.kind !== 'group' || (!hasQuantifier(atom) && !hasAlternation(atom))) return this.variable(charactersOf(atom), run);
        // An optional (max 1, by rule 1) group with choices inside: either skipped or taken.
        const taken = this.term(atom, run);
        return taken === 'nested' ? taken : joinRuns([run, taken]);
      }
    }
  }

  /** A variable-count atom taking characters from `set`: extends the chain when it overlaps. */
  private variable(set: CharSet, run: Run): Run {
    const chain = intersects(set, run.set) ? run.chain + 1 : Math.max(run.chain, 1);
    this.maxChain = Math.max(this.maxChain, chain);
    return { set: [...run.set, ...set], chain };
  }
}

function joinRuns(runs: readonly Run[]): Run {
  return { set: runs.flatMap((r) => r.set), chain: Math.max(0, ...runs.map((r) => r.chain)) };
}

function hasQuantifier(term: Term): boolean {
  if (term.kind === 'quant') return true;
  return term.kind === 'group' && term.alternatives.some((seq) => seq.some(hasQuantifier));
}

function hasAlternation(term: Term): boolean {
  if (term.kind === 'quant') return hasAlternation(term.atom);
  return term.kind === 'group' && (term.alternatives.length > 1 || term.alternatives.some((seq) => seq.some(hasAlternation)));
}

/** Every character a term can consume (backreferences: anything). */
function charactersOf(term: Term): CharSet {
  switch (term.kind) {
    case 'char':
      return term.set;
    case 'backref':
      return ANY;
    case 'quant':
      return charactersOf(term.atom);
    case 'group':
      return term.look ? [] : term.alternatives.flatMap((seq) => seq.flatMap(charactersOf));
    default:
      return [];
  }
}

/** Whether an alternation may try more than one branch: two branches start alike, or one can be empty. */
function ambiguous(alternatives: readonly Term[][]): boolean {
  const firsts = alternatives.map(firstOfSequence);
  if (firsts.some((f) => f.nullable)) return true;
  return firsts.some((a, i) => firsts.some((b, j) => j > i && intersects(a.set, b.set)));
}

interface First {
  set: CharSet;
  nullable: boolean;
}

function firstOfSequence(seq: readonly Term[]): First {
  const set: (readonly [number, number])[] = [];
  for (const term of seq) {
    const f = firstOf(term);
    set.push(...f.set);
    if (!f.nullable) return { set, nullable: false };
  }
  return { set, nullable: true };
}

function firstOf(term: Term): First {
  switch (term.kind) {
    case 'char':
      return { set: term.set, nullable: false };
    case 'backref':
      return { set: ANY, nullable: true };
    case 'quant': {
      const f = firstOf(term.atom);
      return { set: f.set, nullable: f.nullable || term.min === 0 };
    }
    case 'group': {
      if (term.look) return { set: [], nullable: true };
      const firsts = term.alternatives.map(firstOfSequence);
      return { set: firsts.flatMap((f) => f.set), nullable: firsts.some((f) => f.nullable) };
    }
    default:
      return { set: [], nullable: true };
  }
}
