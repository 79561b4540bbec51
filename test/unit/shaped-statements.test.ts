// Statements kept per shape: Kysely compiles a shape once; later calls bind their values to its text,
// unless the values the caller names did not line up with what Kysely bound.
import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ShapedStatements } from '../../src/store/shaped-statements.js';

describe('ShapedStatements', () => {
  it('compiles a shape once, then binds each call’s values to the kept text', () => {
    const statements = new ShapedStatements();
    let builds = 0;
    const build = (value: string) => () => {
      builds += 1;
      return CompiledQuery.raw('select * from entities where uuid = ?', [value]);
    };
    expect(statements.query('by-uuid', ['a'], build('a')).parameters).toEqual(['a']);
    const second = statements.query('by-uuid', ['b'], build('b'));
    expect(second.sql).toBe('select * from entities where uuid = ?');
    expect(second.parameters).toEqual(['b']);
    expect(builds).toBe(1);
  });

  it('keeps apart different shapes', () => {
    const statements = new ShapedStatements();
    statements.query('one', [1], () => CompiledQuery.raw('select 1 where ? = 1', [1]));
    expect(statements.query('two', [2], () => CompiledQuery.raw('select 2 where ? = 2', [2])).sql).toBe('select 2 where ? = 2');
    expect(statements.query('one', [3], () => CompiledQuery.raw('not used', [])).sql).toBe('select 1 where ? = 1');
  });

  it('never serves a shape whose named values differ from the bound ones', () => {
    const statements = new ShapedStatements();
    let builds = 0;
    // The caller says it binds [x], but the query binds [x, 60]: reusing the text would misbind.
    const build = (x: number) => () => {
      builds += 1;
      return CompiledQuery.raw('select ? limit ?', [x, 60]);
    };
    expect(statements.query('odd', [1], build(1)).parameters).toEqual([1, 60]);
    expect(statements.query('odd', [2], build(2)).parameters).toEqual([2, 60]);
    expect(builds).toBe(2);
    // Order matters too.
    statements.query('swapped', [1, 2], () => CompiledQuery.raw('select ?, ?', [2, 1]));
    expect(statements.query('swapped', [3, 4], () => CompiledQuery.raw('select ?, ?', [4, 3])).parameters).toEqual([4, 3]);
  });

  it('holds at most its bound of shapes, dropping the oldest', () => {
    const statements = new ShapedStatements(2);
    for (const key of ['a', 'b', 'c']) statements.query(key, [], () => CompiledQuery.raw(`select '${key}'`, []));
    expect(statements.size).toBe(2);
    let rebuilt = false;
    statements.query('a', [], () => {
      rebuilt = true;
      return CompiledQuery.raw("select 'a'", []);
    });
    expect(rebuilt).toBe(true);
  });
});
