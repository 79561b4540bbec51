// Row types of every table, as Kysely sees them. Timestamps are UTC ISO-8601 text with microseconds
// (fixed width, so text order is time order on both engines); JSON is stored as text.
import type { Generated } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface CustomersTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApplicationsTable {
  id: string;
  customer_id: string;
  name: string;
  created_at: string;
}

export interface EntityTypesTable {
  id: Generated<number>;
  application_id: string;
  name: string;
  /** JSON: the attr_defs array */
  attr_defs: string;
  /** JSON: the validation rules, [{uuid, attributes, definition, description}] */
  rules: Generated<string>;
  /** JSON: {"historySize": n} */
  password_settings: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface EntitiesTable {
  id: Generated<number>;
  entity_type_id: number;
  uuid: string;
  created: string;
  last_updated: string;
  /** JSON: every attribute but the reserved ones; password attributes hold hashes */
  document: string;
  revision: Generated<number>;
  element_seq: Generated<number>;
  /** JSON array of earlier password hashes, newest first */
  password_history: string | null;
}

export interface EntityVersionsTable {
  id: Generated<number>;
  entity_type_id: number;
  entity_id: number;
  uuid: string;
  revision: number;
  created: string;
  last_updated: string;
  document: string;
  /** stored timestamp: when this state was replaced or deleted */
  valid_to: string;
  ended_by: 'write' | 'delete';
}

export interface EntityTypeVersionsTable {
  id: Generated<number>;
  entity_type_id: number;
  attr_defs: string;
  rules: string;
  valid_to: string;
}

export interface TokenPoliciesTable {
  id: string;
  customer_id: string;
  title: string;
  access_token_lifetime: number;
  refresh_token_lifetime: number;
  /** JSON array of scope strings */
  allowed_scopes: string;
  use_access_jwt: number;
  created_at: string;
  updated_at: string;
}

export interface OidcClientsTable {
  id: string;
  customer_id: string;
  name: string;
  type: 'public' | 'confidential' | 'configuration';
  /** JSON array */
  redirect_uris: string;
  login_policy_id: string | null;
  token_policy_id: string;
  /** the API client of a public or confidential client (seed 002) */
  api_client_id: Generated<string | null>;
  created_at: string;
  updated_at: string;
}

export interface LoginPoliciesTable {
  id: string;
  customer_id: string;
  title: string;
  login_url: string;
  domain: string;
  application_id: string;
  entity_type: string;
  api_client_id: string;
  secret_key_id: string;
  secret_ciphertext: string;
  /** JSON or null */
  custom_claims: string | null;
  push_claims: number;
  /** JSON array */
  allowed_response_types: string;
  created_at: string;
  updated_at: string;
}

export interface SessionPoliciesTable {
  customer_id: string;
  /** JSON: deactivated, inactivityTTL, absoluteTTL */
  document: string;
  updated_at: string;
}

export interface OidcClientSecretsTable {
  id: Generated<number>;
  client_id: string;
  key_id: string;
  ciphertext: string;
  created_at: string;
  expires_at: string | null;
}

export interface ConfigTokensTable {
  digest: string;
  customer_id: string;
  client_id: string;
  token_policy_id: string;
  /** space-separated granted scopes */
  scopes: string;
  issued_at: string;
  expires_at: string;
}

export interface AccessSchemasTable {
  entity_type_id: number;
  client_id: string;
  access_type: string;
  /** JSON array of attribute paths */
  attributes: string;
  updated_at: string;
}

export interface UserTokensTable {
  /** SHA-256 of the token; the token itself is never stored */
  digest: string;
  kind: string;
  application_id: string;
  entity_type_id: number;
  entity_id: number | null;
  client_id: string;
  expires_at: string;
  /** JSON: what the token carries (redirect_uri, transaction_state, attribute_name, …) */
  data: string | null;
  created_at: string;
}

export interface ApiClientsTable {
  client_id: string;
  application_id: string;
  description: string;
  /** JSON array of feature names */
  features: string;
  /** JSON array of CIDR blocks */
  whitelist: string;
  created_at: string;
  updated_at: string;
}

export interface ApiClientSecretsTable {
  id: Generated<number>;
  client_id: string;
  key_id: string;
  ciphertext: string;
  created_at: string;
  /** null while this is the current secret; set when a reset gives it a grace period */
  expires_at: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  application_id: string | null;
  actor_client_id: string | null;
  source_address: string | null;
  operation: string;
  target: string | null;
  /** JSON, secrets redacted */
  before: string | null;
  after: string | null;
}

export interface CacheEpochsTable {
  name: string;
  epoch: number;
  /** the key changed last (a client id), so watchers can drop just that entry when one change happened */
  changed_key: string | null;
}

export interface AuthThrottleTable {
  key: string;
  window_start: string;
  failures: number;
  blocked_until: string | null;
}

export interface SettingsTable {
  application_id: string;
  /** '' for the application scope, else the client id */
  scope: string;
  /** JSON: {"standard": {...}, "custom": {...}} */
  document: string;
  updated_at: string;
}

export interface Database {
  idcloud_meta: MetaTable;
  customers: CustomersTable;
  applications: ApplicationsTable;
  entity_types: EntityTypesTable;
  api_clients: ApiClientsTable;
  api_client_secrets: ApiClientSecretsTable;
  audit_log: AuditLogTable;
  cache_epochs: CacheEpochsTable;
  auth_throttle: AuthThrottleTable;
  settings: SettingsTable;
  entities: EntitiesTable;
  entity_versions: EntityVersionsTable;
  token_policies: TokenPoliciesTable;
  oidc_clients: OidcClientsTable;
  login_policies: LoginPoliciesTable;
  session_policies: SessionPoliciesTable;
  oidc_client_secrets: OidcClientSecretsTable;
  config_tokens: ConfigTokensTable;
  entity_type_versions: EntityTypeVersionsTable;
  access_schemas: AccessSchemasTable;
  user_tokens: UserTokensTable;
}
