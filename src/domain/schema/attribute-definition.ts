// The attr_def object of the Entity Type API (spec capture-api §5.0). The schema issue grows the
// validation around it; this is the shape every layer agrees on.
export const ATTRIBUTE_TYPES = [
  'string', 'boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid',
  'password', 'object', 'plural', 'id', 'version',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export const CONSTRAINTS = [
  'required', 'unique', 'locally-unique', 'alphabetic', 'alphanumeric', 'unicode-letters', 'unicode-printable', 'email-address',
] as const;
export type Constraint = (typeof CONSTRAINTS)[number];

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
