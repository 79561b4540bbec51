// The `user` entity type that a new installation starts with.
import { RESERVED_ATTRIBUTES, type AttributeDefinition } from './attribute-definition.js';

export const DEFAULT_ENTITY_TYPE_NAME = 'user';

const userAttributes: AttributeDefinition[] = [
  { name: 'email', type: 'string', length: 256, 'case-sensitive': false, constraints: ['unique', 'email-address'], features: ['query'] },
  { name: 'givenName', type: 'string', length: 1000, 'case-sensitive': false, features: ['query'] },
  { name: 'familyName', type: 'string', length: 1000, 'case-sensitive': false, features: ['query'] },
  { name: 'displayName', type: 'string', length: 1000, 'case-sensitive': false, features: ['query'] },
  { name: 'emailVerified', type: 'dateTime' },
  { name: 'password', type: 'password' },
  { name: 'birthday', type: 'date' },
  {
    name: 'primaryAddress',
    type: 'object',
    attr_defs: [
      { name: 'address1', type: 'string', length: 1000, 'case-sensitive': false },
      { name: 'address2', type: 'string', length: 1000, 'case-sensitive': false },
      { name: 'city', type: 'string', length: 1000, 'case-sensitive': false },
      { name: 'stateAbbreviation', type: 'string', length: 100, 'case-sensitive': false },
      { name: 'zip', type: 'string', length: 100, 'case-sensitive': false },
      { name: 'country', type: 'string', length: 1000, 'case-sensitive': false },
      { name: 'phone', type: 'string', length: 100, 'case-sensitive': false },
    ],
  },
];

/** Reserved attributes first, then the user attributes, as the Entity Type API lists them. */
export function defaultUserAttributes(): AttributeDefinition[] {
  return structuredClone([...RESERVED_ATTRIBUTES, ...userAttributes]);
}
