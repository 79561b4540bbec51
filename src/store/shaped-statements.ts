// SQL compiled once per query shape. Kysely builds and compiles a query on every call (5–8 µs for an
// entity search), about as long as SQLite takes to run an indexed one-row lookup. A query whose text
// depends only on a few known things (its shape: the engine, the entity type, the filter's structure
// without its values, …) is compiled by Kysely the first time; later calls of the same shape bind their
// values to the text kept from then.
//
// The caller names the shape and the values it binds. The first compile of a shape checks that those
// values are exactly what Kysely bound, in the same order; a shape where they differ is never served
// from the cache. The key must cover everything the SQL text depends on: that is the caller's contract.
import { CompiledQuery } from 'kysely';

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

export class ShapedStatements {
  /** SQL text per shape; null: the shape's values did not line up, always compile it. */
  readonly #texts = new Map<string, string | null>();

  constructor(private readonly maxShapes = 512) {}

  /** The query of `key` with `values` bound: from the kept text, or `build()` the first time. */
  query(key: string, values: readonly unknown[], build: () => CompiledQuery): CompiledQuery {
    const text = this.#texts.get(key);
    if (typeof text === 'string') return CompiledQuery.raw(text, [...values]);
    const compiled = build();
    if (text === undefined) {
      // Oldest shape out first: past the bound, shapes come and go (a caller sending ever new shapes
      // gets compiles, as without the cache).
      if (this.#texts.size >= this.maxShapes) this.#texts.delete(this.#texts.keys().next().value ?? '');
      this.#texts.set(key, sameValues(compiled.parameters, values) ? compiled.sql : null);
    }
    return compiled;
  }

  get size(): number {
    return this.#texts.size;
  }
}
