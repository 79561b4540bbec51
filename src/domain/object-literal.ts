// Functions generated from source once and run for every row or record: one object literal of a
// fixed shape is the cheapest object V8 can build (a fraction of adding the same properties one keyed
// store at a time). The source must hold no data: names go in only through `propertyKey`, and
// everything else a generated function needs is passed in as an argument.

/** An object literal key for a name: a JSON string, except `__proto__`, which a plain key would make the prototype. */
export function propertyKey(name: string): string {
  return name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
}

/**
 * Compiles `body` (strict mode) into a function of the named parameters `params`, and calls it with
 * `args`: the body returns the function that is wanted, closing over what it was given.
 */
export function generateFunction<F>(params: readonly string[], body: string, args: readonly unknown[]): F {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the file comment: no data in the source
  const factory = new Function(...params, `"use strict";\n${body}`) as (...a: unknown[]) => F;
  return factory(...args);
}
