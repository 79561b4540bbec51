// The attr_def object of the Entity Type API (spec capture-api §5.0): the shape every layer agrees on.
export const ATTRIBUTE_TYPES = [
  'string', 'boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid',
  'password', 'object', 'plural', 'id', 'version',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** Types a caller may give an attribute; `id` and `version` belong to the reserved attributes only. */
export const USER_ATTRIBUTE_TYPES: readonly AttributeType[] = ATTRIBUTE_TYPES.filter((t) => t !== 'id' && t !== 'version');

/** Types whose value is one JSON scalar (or, for `json`, any JSON) rather than children. */
export type PrimitiveType = Exclude<AttributeType, 'object' | 'plural'>;

export const CONSTRAINTS = [
  'required', 'unique', 'locally-unique', 'alphabetic', 'alphanumeric', 'unicode-letters', 'unicode-printable', 'email-address',
] as const;
export type Constraint = (typeof CONSTRAINTS)[number];

/** Attribute features seen in the original (spec §5.0); `query` gets an index. */
export const ATTRIBUTE_FEATURES = ['query', 'primary-key'] as const;
export type AttributeFeature = (typeof ATTRIBUTE_FEATURES)[number];

/**
 * Attribute names: a letter or underscore, then letters, digits and underscores, at most 64 long. The
 * names also appear inside SQL index expressions, so nothing else may ever pass.
 */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  length?: number | null;
  'case-sensitive'?: boolean;
  description?: string;
  constraints?: Constraint[];
  features?: string[];
  attr_defs?: AttributeDefinition[];
}

/** Attributes every entity type has; system-generated and read-only. */
export const RESERVED_ATTRIBUTES: readonly AttributeDefinition[] = [
  { name: 'id', type: 'id', description: 'simple identifier for this entity', constraints: ['unique', 'required'] },
  { name: 'uuid', type: 'uuid', description: 'globally unique identifier for this entity', constraints: ['unique', 'required'] },
  { name: 'created', type: 'dateTime', description: 'when this entity was created' },
  { name: 'lastUpdated', type: 'version', description: 'when this entity was last updated' },
];

export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(RESERVED_ATTRIBUTES.map((a) => a.name));

/** Plural elements carry their own `id`; it is reserved inside a plural too. */
export const PLURAL_ELEMENT_ID = 'id';
