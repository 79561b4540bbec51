// The filter language's syntax tree (spec capture-api §4), as the parser produces it: what was written,
// not yet checked against any entity type. `check.ts` turns it into a typed condition.

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** `primaryAddress.city`, `/profiles/domain`: the names in order; the separators are not kept. */
export interface PathNode {
  kind: 'path';
  names: string[];
}

export interface StringNode {
  kind: 'string';
  value: string;
}

/** A bare number, kept as written (`25`, `-3`, `1.50`) so that no precision is lost before checking. */
export interface NumberNode {
  kind: 'number';
  text: string;
}

export interface BooleanNode {
  kind: 'boolean';
  value: boolean;
}

export type LiteralNode = StringNode | NumberNode | BooleanNode;

/** `a and b and c` is one node with three items; parentheses make nested nodes. */
export interface LogicalNode {
  kind: 'and' | 'or';
  items: FilterNode[];
}

export interface CompareNode {
  kind: 'compare';
  op: CompareOp;
  left: FilterNode;
  right: FilterNode;
}

export interface NotNode {
  kind: 'not';
  operand: FilterNode;
}

/** `x is null` (negated false) and `x is not null` (negated true). */
export interface IsNullNode {
  kind: 'isNull';
  operand: FilterNode;
  negated: boolean;
}

export type FilterNode = LogicalNode | CompareNode | NotNode | IsNullNode | PathNode | LiteralNode;
