// Canonical text of a filter tree: keywords in lower case, single spaces, strings in single quotes
// (`\` as `\\`, `'` as `''`), and parentheses only where the grammar needs them, so that
// parseFilter(printFilter(tree)) gives the same tree back.
import type { FilterNode } from './ast.js';

/** Binding strength per grammar level; a child weaker than its slot is parenthesized. */
const Level = { Or: 1, And: 2, Eq: 3, Rel: 4, Unary: 5, Postfix: 6, Primary: 7 } as const;
type Level = (typeof Level)[keyof typeof Level];

function levelOf(node: FilterNode): Level {
  switch (node.kind) {
    case 'or':
      return Level.Or;
    case 'and':
      return Level.And;
    case 'compare':
      return node.op === '=' || node.op === '!=' ? Level.Eq : Level.Rel;
    case 'not':
      return Level.Unary;
    case 'isNull':
      return Level.Postfix;
    default:
      return Level.Primary;
  }
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** `node` printed where the grammar accepts `min` or stronger (parenthesized otherwise). */
function at(node: FilterNode, min: Level): string {
  const text = print(node);
  return levelOf(node) >= min ? text : `(${text})`;
}

function print(node: FilterNode): string {
  switch (node.kind) {
    case 'or':
      // Items are andExpr; an `or` item must keep its parentheses to stay a nested node.
      return node.items.map((i) => at(i, Level.And)).join(' or ');
    case 'and':
      return node.items.map((i) => at(i, Level.Eq)).join(' and ');
    case 'compare': {
      const operand = node.op === '=' || node.op === '!=' ? Level.Rel : Level.Unary;
      return `${at(node.left, operand)} ${node.op} ${at(node.right, operand)}`;
    }
    case 'not':
      return `not ${at(node.operand, Level.Unary)}`;
    case 'isNull':
      return `${at(node.operand, Level.Primary)} is ${node.negated ? 'not ' : ''}null`;
    case 'path':
      return node.names.join('.');
    case 'string':
      return quote(node.value);
    case 'number':
      return node.text;
    case 'boolean':
      return node.value ? 'true' : 'false';
  }
}

/** Canonical text of `node`, a tree as parseFilter produces it (and/or with two items or more). */
export function printFilter(node: FilterNode): string {
  return print(node);
}
