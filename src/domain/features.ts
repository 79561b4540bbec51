// API-client features (spec capture-api §1.5) and the permission matrix (spec §2, seed 001): one
// declarative table from operation to the features that may call it. An operation missing from the
// table is refused — authorization is deny-by-default.

export const FEATURES = ['owner', 'access_issuer', 'direct_access', 'direct_read_access', 'login_client', 'metadata'] as const;
export type Feature = (typeof FEATURES)[number];

export function isFeature(value: unknown): value is Feature {
  return typeof value === 'string' && (FEATURES as readonly string[]).includes(value);
}

/** The allow list a client starts with: every address. */
export const OPEN_WHITELIST: readonly string[] = ['0.0.0.0/0'];

/** `direct_access` implies `direct_read_access` (seed 000). */
export function effectiveFeatures(features: readonly string[]): ReadonlySet<Feature> {
  const set = new Set<Feature>(features.filter(isFeature));
  if (set.has('direct_access')) set.add('direct_read_access');
  return set;
}

export interface OperationRule {
  /** A client with at least one of these (effective) features may call the operation. */
  features: readonly Feature[];
  /** Whether the caller's address must be on the client's allow list (spec §1.6: default yes). */
  respectsAllowList: boolean;
  /** The operation also accepts a user access token in place of client credentials. */
  userToken?: true;
  /**
   * Any client may call it about itself (its own settings); `features` then say who may name
   * another client (`for_client_id`).
   */
  self?: true;
  /** Needs no client credentials at all (a one-time code is the credential). */
  public?: true;
  /** Also accepts a creation token (`creation_token`) in place of client credentials. */
  creationToken?: true;
}

const OWN: readonly Feature[] = ['owner'];
const ALL_FIVE: readonly Feature[] = ['owner', 'access_issuer', 'direct_access', 'direct_read_access', 'login_client'];
const READERS: readonly Feature[] = ['owner', 'direct_access', 'direct_read_access'];
const WRITERS: readonly Feature[] = ['owner', 'direct_access'];
const ISSUERS: readonly Feature[] = ['owner', 'access_issuer', 'direct_access'];

const rule = (features: readonly Feature[], extra: Partial<OperationRule> = {}): OperationRule => ({ features, respectsAllowList: true, ...extra });

/**
 * Registration operations are named by their path; configuration operations by `METHOD route`.
 * Later issues implement most of these; the table is complete now so that nothing is reachable by
 * accident and the matrix can be checked against the seed tables cell by cell.
 */
export const PERMISSION_MATRIX: Readonly<Record<string, OperationRule>> = {
  // Entities (spec §3, seed 001 "Entities")
  '/entity': rule(READERS, { userToken: true }),
  '/entity.find': rule(READERS),
  '/entity.count': rule(READERS),
  '/entity.create': rule(WRITERS, { creationToken: true }),
  '/entity.bulkCreate': rule(WRITERS),
  '/entity.update': rule(WRITERS, { userToken: true }),
  '/entity.replace': rule(WRITERS, { userToken: true }),
  '/entity.delete': rule(WRITERS, { userToken: true }),
  // A login_client may end only the signed-in user's sessions: with that user's token (entities API).
  '/entity.deleteAccess': rule(['owner', 'access_issuer', 'direct_access', 'login_client'], { userToken: true }),
  '/entity.bulkDelete': rule(WRITERS),
  '/entity.purge': rule(OWN),
  '/entity.adopt': rule(WRITERS),
  '/entity.attributeValues': rule(READERS),
  '/versions/entity': rule(READERS),
  '/versions/entity.list': rule(READERS),
  '/versions/entityType': rule(OWN),

  // Entity types (spec §5, seed 001 "Entity Types" and "Access Schemas")
  '/entityType.list': rule(OWN),
  '/entityType': rule(ALL_FIVE, { userToken: true }),
  '/entityType.create': rule(OWN),
  '/entityType.addAttribute': rule(OWN),
  '/entityType.removeAttribute': rule(OWN),
  '/entityType.setAttributeConstraints': rule(OWN),
  '/entityType.setPasswordSettings': rule(OWN),
  '/entityType.addRule': rule(OWN),
  '/entityType.rules': rule(OWN),
  '/entityType.removeRule': rule(OWN),
  '/entityType.getAccessSchema': rule(ALL_FIVE),
  '/entityType.setAccessSchema': rule(OWN),
  '/entityType.deleteAccessSchema': rule(OWN),
  '/entityType.delete': rule(OWN),
  '/entityType.renameAttribute': rule(OWN),
  '/entityType.setAttributeDescription': rule(OWN),
  '/entityType.properties': rule(OWN),
  '/entityType.addProperty': rule(OWN),
  '/entityType.removeProperty': rule(OWN),

  // Legacy clients (spec §6): owner only
  '/clients/list': rule(OWN),
  '/clients/add': rule(OWN),
  '/clients/delete': rule(OWN),
  '/clients/set_description': rule(OWN),
  '/clients/set_features': rule(OWN),
  '/clients/set_whitelist': rule(OWN),
  '/clients/clear_whitelist': rule(OWN),
  '/clients/reset_secret': rule(OWN),

  // Legacy settings (spec §7): any client reads its own; only the owner names another (`for_client_id`)
  '/settings/get': rule(OWN, { self: true }),
  '/settings/get_multi': rule(OWN, { self: true }),
  '/settings/get_default': rule(ALL_FIVE),
  '/settings/items': rule(OWN, { self: true }),
  '/settings/keys': rule(OWN, { self: true }),
  '/settings/get_all': rule(OWN),
  '/settings/default_keys': rule(ALL_FIVE),
  '/settings/default_items': rule(ALL_FIVE),
  '/settings/client_keys': rule(OWN, { self: true }),
  '/settings/client_items': rule(OWN, { self: true }),
  '/settings/set': rule(OWN),
  '/settings/set_multi': rule(OWN),
  '/settings/set_default': rule(OWN),
  '/settings/set_default_multi': rule(OWN),
  '/settings/delete': rule(OWN),
  '/settings/delete_default': rule(OWN),
  '/settings/widget/publish': rule(OWN),
  '/settings/widget/get': rule(OWN),
  '/settings/widget/list': rule(OWN),
  '/settings/widget/delete': rule(OWN),

  // Access codes and tokens (spec §9, seed 001 "Authentication APIs")
  '/access/getAccessToken': rule(ISSUERS),
  '/access/getAuthorizationCode': rule(ISSUERS),
  '/access/getCreationToken': rule(ISSUERS),
  '/access/getVerificationCode': rule(ISSUERS, { respectsAllowList: false }),
  // The verification code is the credential (spec §9: needs no client credentials).
  // (Its route authenticates nobody; `owner` is listed only so that the owner-reaches-everything rule holds.)
  '/access/useVerificationCode': rule(OWN, { respectsAllowList: false, public: true }),
  '/oauth/token': rule([...ISSUERS, 'login_client']),

  // Audit log (idcloud): owner only
  '/audit/list': rule(OWN),

  // Configuration API (spec §8, seed 001 "Configuration APIs")
  'GET /config/{app_id}/clients': rule(OWN),
  'POST /config/{app_id}/clients': rule(OWN),
  'GET /config/{app_id}/clients/{client_id}': rule(OWN),
  'PUT /config/{app_id}/clients/{client_id}': rule(OWN),
  'DELETE /config/{app_id}/clients/{client_id}': rule(OWN),
  'PUT /config/{app_id}/clients/{client_id}/secret': rule(OWN),
  'GET /config/{app_id}/clients/{client_id}/settings': rule(OWN, { self: true }),
  'PUT /config/{app_id}/clients/{client_id}/settings': rule(OWN),
  'GET /config/{app_id}/settings': rule(OWN),
  'PUT /config/{app_id}/settings': rule(OWN),
  'GET /config/{app_id}/settings/options': rule(OWN),
  'GET /config/{app_id}/entityTypes': rule(READERS),
  'GET /config/{app_id}/entityTypes/{entity_type}': rule(READERS),
  'GET /config/{app_id}/entityTypes/{entity_type}/attributes': rule(WRITERS),
  'GET /config/{app_id}/entityTypes/{entity_type}/attributes/{attribute_name}': rule(WRITERS),
  'GET /config/{app_id}/flows': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}': rule(WRITERS),
  'PUT /config/{app_id}/flows/{flow}': rule(WRITERS),
  'POST /config/{app_id}/flows/{flow}/copy': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}/fields': rule(WRITERS),
  'POST /config/{app_id}/flows/{flow}/fields': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}/fields/{field}': rule(WRITERS),
  'PUT /config/{app_id}/flows/{flow}/fields/{field}': rule(WRITERS),
  'DELETE /config/{app_id}/flows/{flow}/fields/{field}': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}/forms': rule(WRITERS),
  'POST /config/{app_id}/flows/{flow}/forms': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}/forms/{form}': rule(WRITERS),
  'PUT /config/{app_id}/flows/{flow}/forms/{form}': rule(WRITERS),
  'DELETE /config/{app_id}/flows/{flow}/forms/{form}': rule(WRITERS),
  'GET /config/{app_id}/flows/{flow}/versions': rule(WRITERS),
};

export type AuthorizationVerdict = { allowed: true } | { allowed: false; reason: 'unknown_operation' | 'missing_feature' };

/**
 * Decides whether a client with `features` may call `operation`. `self` says the call targets the
 * calling client itself (only meaningful for rules marked `self`).
 */
export function authorize(operation: string, features: readonly string[], options: { self?: boolean } = {}): AuthorizationVerdict {
  return authorizeEffective(operation, effectiveFeatures(features), options);
}

/** `authorize` for a feature set already expanded by `effectiveFeatures` (cached per client). */
export function authorizeEffective(operation: string, have: ReadonlySet<Feature>, options: { self?: boolean } = {}): AuthorizationVerdict {
  const opRule = Object.hasOwn(PERMISSION_MATRIX, operation) ? PERMISSION_MATRIX[operation] : undefined;
  if (!opRule) return { allowed: false, reason: 'unknown_operation' };
  if (opRule.features.some((f) => have.has(f))) return { allowed: true };
  if (opRule.self && options.self === true) return { allowed: true };
  return { allowed: false, reason: 'missing_feature' };
}
