// Unit and property tests for src/domain/features.ts: the permission matrix checked cell by cell
// against the tables of seed 001 ("Which API clients can access which API operations?") and spec
// capture-api §1.4–§1.6 and §2. The expected table below is transcribed from those documents, not
// from the source; where the documents disagree, the spec's §2 "recommended union" wins, and the
// decisions (spec README) add deny-by-default and "direct_access implies direct_read_access".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, effectiveFeatures, FEATURES, isFeature, OPEN_WHITELIST, PERMISSION_MATRIX, type Feature } from '../../src/domain/features.js';

// ---------------------------------------------------------------------------------------------
// The expected table
// ---------------------------------------------------------------------------------------------

/** Column abbreviations of spec §2: own = owner, ai = access_issuer, da = direct_access, dra = direct_read_access, lc = login_client. */
const ABBREVIATIONS = { own: 'owner', ai: 'access_issuer', da: 'direct_access', dra: 'direct_read_access', lc: 'login_client' } as const satisfies Record<string, Feature>;
type Abbreviation = keyof typeof ABBREVIATIONS;

interface ExpectedRow {
  /** Features that may call the operation about any client, as spec §2 abbreviations. */
  allowed: readonly Abbreviation[];
  /** Any client may call it about itself (spec §2: settings reads, per-client configuration settings). */
  self?: true;
  /** Accepts a user access token (janrain-oauth) in place of client credentials (spec §1.4). */
  userToken?: true;
  /** Whether the caller's address must be on the client's allow list (spec §1.6: yes unless stated). */
  respectsAllowList?: false;
  /** Needs no client credentials at all: a one-time code is the credential (spec §2 "no client credentials needed"). */
  public?: true;
  /** Where the row comes from. */
  source: string;
}

const ALL_FIVE: readonly Abbreviation[] = ['own', 'ai', 'da', 'dra', 'lc'];
const OWNER_ONLY: readonly Abbreviation[] = ['own'];
const READERS: readonly Abbreviation[] = ['own', 'da', 'dra'];
const WRITERS: readonly Abbreviation[] = ['own', 'da'];
const ISSUERS: readonly Abbreviation[] = ['own', 'ai', 'da'];

const SEED_ENTITIES_GET = 'seed 001 "Entities" GET: direct_read_access, direct_access, owner';
const SEED_ENTITIES_WRITE = 'seed 001 "Entities" PUT/POST/DELETE: direct_access, owner';
const SEED_ENTITY_TYPES_WRITE = 'seed 001 "Entity Types" POST/DELETE: owner only';
const SEED_LEGACY_CLIENTS = 'spec §2 "/clients/* own"; seed 001 "Legacy ... Clients": owner only';
const SEED_CONFIG_CLIENTS = 'seed 001 "Configuration APIs: Clients and Settings": owner only; spec §2 "/config/* own"';
const SEED_CONFIG_ENTITY_TYPES = 'seed 001 "Configuration APIs: Entity and Entity Types" GET: direct_read_access, direct_access, owner';
const SEED_CONFIG_ATTRIBUTES = 'seed 001 "Configuration APIs: Entity and Entity Types" GET: direct_read_access "(but not the attribute operations)"';
const SEED_CONFIG_FLOWS = 'seed 001 "Configuration APIs: Flows and Flow Management": direct_access, owner, every method';

const EXPECTED: Readonly<Record<string, ExpectedRow>> = {
  // Entities (spec §2, §3, §1.4)
  '/entity': { allowed: READERS, userToken: true, source: 'spec §2 "/entity own, da, dra (+ token)"; §1.4' },
  '/entity.find': { allowed: READERS, source: 'spec §2 "/entity.find own, da, dra"' },
  '/entity.count': { allowed: READERS, source: 'spec §2 "/entity.count own, da, dra"' },
  '/entity.create': { allowed: WRITERS, source: 'spec §2 "/entity.create, .bulkCreate own, da"' },
  '/entity.bulkCreate': { allowed: WRITERS, source: 'spec §2 "/entity.create, .bulkCreate own, da"' },
  '/entity.update': { allowed: WRITERS, userToken: true, source: 'spec §2 "/entity.update, .replace, .delete own, da (+ token)"; §1.4' },
  '/entity.replace': { allowed: WRITERS, userToken: true, source: 'spec §2 "/entity.update, .replace, .delete own, da (+ token)"; §1.4' },
  '/entity.delete': { allowed: WRITERS, userToken: true, source: 'spec §2 "/entity.update, .replace, .delete own, da (+ token)"; §1.4' },
  '/entity.deleteAccess': { allowed: ['own', 'ai', 'da', 'lc'], userToken: true, source: 'spec §2 "/entity.deleteAccess own, ai, da, lc"; a login_client acts for the signed-in user only (seed 000), so it calls with that user\'s token' },
  // Legacy entity operations (spec §3.10; not in §2): by the seed's Entities table, except purge.
  '/entity.bulkDelete': { allowed: WRITERS, source: SEED_ENTITIES_WRITE },
  '/entity.purge': { allowed: OWNER_ONLY, source: 'spec silent; deletes every record: owner only (least privilege)' },
  '/entity.adopt': { allowed: WRITERS, source: SEED_ENTITIES_WRITE },
  '/entity.attributeValues': { allowed: READERS, source: SEED_ENTITIES_GET },
  '/versions/entity': { allowed: READERS, source: SEED_ENTITIES_GET },
  '/versions/entity.list': { allowed: READERS, source: SEED_ENTITIES_GET },
  '/versions/entityType': { allowed: OWNER_ONLY, source: 'spec silent (legacy schema history): owner only' },

  // Entity types and access schemas (spec §2, §5)
  '/entityType.list': { allowed: OWNER_ONLY, source: 'spec §2 "/entityType.list own"' },
  '/entityType': { allowed: ALL_FIVE, userToken: true, source: 'spec §2 "/entityType (view) all five"; §1.4 lists janrain-oauth for "entityType (view)" [AK-VIEWET]' },
  '/entityType.create': { allowed: OWNER_ONLY, source: 'spec §2 "entityType.create/addAttribute/... own"' },
  '/entityType.addAttribute': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.removeAttribute': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.setAttributeConstraints': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.setPasswordSettings': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.addRule': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.rules': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.removeRule': { allowed: OWNER_ONLY, source: 'spec §2' },
  '/entityType.getAccessSchema': { allowed: ALL_FIVE, source: 'spec §2 "entityType.getAccessSchema all five"' },
  '/entityType.setAccessSchema': { allowed: OWNER_ONLY, source: 'spec §2 "setAccessSchema / deleteAccessSchema own"; seed 000' },
  '/entityType.deleteAccessSchema': { allowed: OWNER_ONLY, source: 'spec §2 "setAccessSchema / deleteAccessSchema own"' },
  // Legacy schema operations (spec §5.14; not in §2)
  '/entityType.delete': { allowed: OWNER_ONLY, source: SEED_ENTITY_TYPES_WRITE },
  '/entityType.renameAttribute': { allowed: OWNER_ONLY, source: SEED_ENTITY_TYPES_WRITE },
  '/entityType.setAttributeDescription': { allowed: OWNER_ONLY, source: SEED_ENTITY_TYPES_WRITE },
  '/entityType.properties': { allowed: OWNER_ONLY, source: 'like entityType.rules (spec §2: own)' },
  '/entityType.addProperty': { allowed: OWNER_ONLY, source: SEED_ENTITY_TYPES_WRITE },
  '/entityType.removeProperty': { allowed: OWNER_ONLY, source: SEED_ENTITY_TYPES_WRITE },

  // Legacy clients (spec §6: owner only)
  '/clients/list': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/add': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/delete': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/set_description': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/set_features': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/set_whitelist': { allowed: OWNER_ONLY, source: `${SEED_LEGACY_CLIENTS}; seed 000 "Only the owner client may make this API call"` },
  '/clients/clear_whitelist': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },
  '/clients/reset_secret': { allowed: OWNER_ONLY, source: SEED_LEGACY_CLIENTS },

  // Legacy settings (spec §2, §7): reads of one's own settings by anyone; for_client_id only for the owner
  '/settings/get': { allowed: OWNER_ONLY, self: true, source: 'spec §2 "own; any client may read its own settings ... for_client_id only for owner"' },
  '/settings/get_multi': { allowed: OWNER_ONLY, self: true, source: 'spec §2 (settings reads)' },
  '/settings/items': { allowed: OWNER_ONLY, self: true, source: 'spec §2 (settings reads)' },
  '/settings/keys': { allowed: OWNER_ONLY, self: true, source: 'spec §2 (settings reads)' },
  '/settings/get_default': { allowed: ALL_FIVE, source: 'spec §2 "/settings/get_default all five"' },
  '/settings/get_all': { allowed: OWNER_ONLY, source: 'spec §7 legacy: every client\'s settings at once: owner only' },
  '/settings/default_keys': { allowed: ALL_FIVE, source: 'default scope only, like settings/get_default (spec §2: all five)' },
  '/settings/default_items': { allowed: ALL_FIVE, source: 'default scope only, like settings/get_default (spec §2: all five)' },
  '/settings/client_keys': { allowed: OWNER_ONLY, self: true, source: 'like settings/keys (spec §2)' },
  '/settings/client_items': { allowed: OWNER_ONLY, self: true, source: 'like settings/items (spec §2)' },
  '/settings/set': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/set*, delete*, widget/* own"' },
  '/settings/set_multi': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/set*"' },
  '/settings/set_default': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/set*"' },
  '/settings/set_default_multi': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/set*"' },
  '/settings/delete': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/delete*"' },
  '/settings/delete_default': { allowed: OWNER_ONLY, source: 'spec §2 "/settings/delete*"' },
  '/settings/widget/publish': { allowed: OWNER_ONLY, source: 'spec §2 "widget/* own"; seed 001 "Published Settings": owner only' },
  '/settings/widget/get': { allowed: OWNER_ONLY, source: 'spec §2 "widget/* own"; seed 001 "Published Settings": owner only' },
  '/settings/widget/list': { allowed: OWNER_ONLY, source: 'spec §2 "widget/* own"; seed 001 "Published Settings": owner only' },
  '/settings/widget/delete': { allowed: OWNER_ONLY, source: 'spec §2 "widget/* own"; seed 001 "Published Settings": owner only' },

  // Access codes and tokens (spec §2, §9; seed 001 "Authentication APIs")
  '/access/getAccessToken': { allowed: ISSUERS, source: 'spec §2 "own, ai (+ da)"; seed 001 "owner client, an access_issuer, client, or a direct_access client"' },
  '/access/getAuthorizationCode': { allowed: ISSUERS, source: 'spec §2 "own, ai, da"; seed 001 (same three)' },
  '/access/getCreationToken': { allowed: ISSUERS, source: 'spec silent; issues a token like getAccessToken' },
  '/access/getVerificationCode': {
    allowed: ISSUERS,
    respectsAllowList: false,
    source: 'spec §2 "own, ai, da" (union; seed 001 says owner or direct_access); spec §1.6 "except /access/getVerificationCode, which says No"',
  },
  '/access/useVerificationCode': {
    allowed: OWNER_ONLY,
    public: true,
    respectsAllowList: false,
    source: 'spec §2 "/access/useVerificationCode no client credentials needed"; §9 (Mule sends only the code)',
  },
  '/oauth/token': { allowed: ['own', 'ai', 'da', 'lc'], source: 'spec §2 "own, ai, da (... allow lc, UNCONFIRMED)"' },

  // Audit log (spec README decision "The owner can read it through the API")
  '/audit/list': { allowed: OWNER_ONLY, source: 'spec README "Audit": the owner' },

  // Configuration API (spec §2 "/config/*", §8; seed 001 "Configuration APIs")
  'GET /config/{app_id}/clients': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'POST /config/{app_id}/clients': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'GET /config/{app_id}/clients/{client_id}': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'PUT /config/{app_id}/clients/{client_id}': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'DELETE /config/{app_id}/clients/{client_id}': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'PUT /config/{app_id}/clients/{client_id}/secret': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'GET /config/{app_id}/clients/{client_id}/settings': { allowed: OWNER_ONLY, self: true, source: 'spec §2 "/config/* own (per-client settings: owner or the client itself)"' },
  'PUT /config/{app_id}/clients/{client_id}/settings': { allowed: OWNER_ONLY, source: `${SEED_CONFIG_CLIENTS} (PUT: owner only; settings writes are owner-only in spec §2)` },
  'GET /config/{app_id}/settings': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'PUT /config/{app_id}/settings': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'GET /config/{app_id}/settings/options': { allowed: OWNER_ONLY, source: SEED_CONFIG_CLIENTS },
  'GET /config/{app_id}/entityTypes': { allowed: READERS, source: SEED_CONFIG_ENTITY_TYPES },
  'GET /config/{app_id}/entityTypes/{entity_type}': { allowed: READERS, source: SEED_CONFIG_ENTITY_TYPES },
  'GET /config/{app_id}/entityTypes/{entity_type}/attributes': { allowed: WRITERS, source: SEED_CONFIG_ATTRIBUTES },
  'GET /config/{app_id}/entityTypes/{entity_type}/attributes/{attribute_name}': { allowed: WRITERS, source: SEED_CONFIG_ATTRIBUTES },
  'GET /config/{app_id}/flows': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'PUT /config/{app_id}/flows/{flow}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'POST /config/{app_id}/flows/{flow}/copy': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}/fields': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'POST /config/{app_id}/flows/{flow}/fields': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}/fields/{field}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'PUT /config/{app_id}/flows/{flow}/fields/{field}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'DELETE /config/{app_id}/flows/{flow}/fields/{field}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}/forms': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'POST /config/{app_id}/flows/{flow}/forms': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}/forms/{form}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'PUT /config/{app_id}/flows/{flow}/forms/{form}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'DELETE /config/{app_id}/flows/{flow}/forms/{form}': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
  'GET /config/{app_id}/flows/{flow}/versions': { allowed: WRITERS, source: SEED_CONFIG_FLOWS },
};

const EXPECTED_OPERATIONS = Object.keys(EXPECTED);
const MATRIX_OPERATIONS = Object.keys(PERMISSION_MATRIX);

/** The feature lists each cell is checked with: each single feature, and none. */
const COLUMNS: readonly { label: string; features: readonly string[] }[] = [...FEATURES.map((f) => ({ label: f, features: [f] })), { label: '(none)', features: [] }];

function expectedRow(op: string): ExpectedRow {
  const row = EXPECTED[op];
  if (!row) throw new Error(`no expected row for ${op}`);
  return row;
}

/** The expected verdict of `authorize(op, features, { self })`, computed from the expected table only. */
function expectedAllowed(op: string, features: readonly string[], self: boolean): boolean {
  const row = expectedRow(op);
  const names = new Set<string>(row.allowed.map((a) => ABBREVIATIONS[a]));
  const have = new Set(features);
  if (have.has('direct_access')) have.add('direct_read_access'); // decision: direct_access implies direct_read_access
  if ([...have].some((f) => names.has(f))) return true;
  return row.self === true && self;
}

function row(op: string, self: boolean): Record<string, boolean> {
  return Object.fromEntries(COLUMNS.map((c) => [c.label, authorize(op, c.features, { self }).allowed]));
}

function expectedCells(op: string, self: boolean): Record<string, boolean> {
  return Object.fromEntries(COLUMNS.map((c) => [c.label, expectedAllowed(op, c.features, self)]));
}

// ---------------------------------------------------------------------------------------------

describe('the expected table (sanity of the transcription itself)', () => {
  it('respects the decisions: owner everywhere (seed 000), direct_access wherever direct_read_access, metadata nowhere', () => {
    for (const [op, r] of Object.entries(EXPECTED)) {
      expect(r.allowed, op).toContain('own');
      if (r.allowed.includes('dra')) expect(r.allowed, op).toContain('da');
      expect(new Set(r.allowed).size, op).toBe(r.allowed.length);
    }
  });
});

describe('FEATURES and effectiveFeatures', () => {
  it('are exactly the six features of seed 001 "Client feature sets"', () => {
    expect([...FEATURES].sort()).toEqual(['access_issuer', 'direct_access', 'direct_read_access', 'login_client', 'metadata', 'owner']);
  });

  it('isFeature accepts the six names and nothing else', () => {
    for (const f of FEATURES) expect(isFeature(f)).toBe(true);
    for (const v of ['OWNER', 'owner ', 'image_create', '', 'constructor', '__proto__', 'toString', null, undefined, 1, ['owner'], { owner: true }]) {
      expect(isFeature(v)).toBe(false);
    }
  });

  it('direct_access implies direct_read_access, and nothing else implies anything', () => {
    expect([...effectiveFeatures(['direct_access'])].sort()).toEqual(['direct_access', 'direct_read_access']);
    expect([...effectiveFeatures(['direct_read_access'])]).toEqual(['direct_read_access']);
    expect([...effectiveFeatures(['owner'])]).toEqual(['owner']);
    expect([...effectiveFeatures(['access_issuer'])]).toEqual(['access_issuer']);
    expect([...effectiveFeatures(['login_client'])]).toEqual(['login_client']);
    expect([...effectiveFeatures(['metadata'])]).toEqual(['metadata']);
    expect(effectiveFeatures([]).size).toBe(0);
  });

  it('drops names that are not features', () => {
    expect([...effectiveFeatures(['owner', 'image_create', 'Owner', 'constructor', ''])]).toEqual(['owner']);
  });

  it('the default allow list is every IPv4 address (spec §1.6)', () => {
    expect(OPEN_WHITELIST).toEqual(['0.0.0.0/0']);
  });
});

describe('PERMISSION_MATRIX has exactly the operations of the expected table', () => {
  it('every operation in the matrix has an expected row (a new operation needs a reviewed row here)', () => {
    expect(MATRIX_OPERATIONS.filter((op) => !Object.hasOwn(EXPECTED, op))).toEqual([]);
  });

  it('every expected operation is in the matrix', () => {
    expect(EXPECTED_OPERATIONS.filter((op) => !Object.hasOwn(PERMISSION_MATRIX, op))).toEqual([]);
  });

  it('no rule names metadata, which grants no operation (seed 001: it only changes lastUpdated handling)', () => {
    for (const [op, r] of Object.entries(PERMISSION_MATRIX)) expect(r.features, op).not.toContain('metadata');
  });
});

describe('authorize, cell by cell (operation × feature), called about another client', () => {
  it.each(EXPECTED_OPERATIONS)('%s', (op) => {
    expect(row(op, false)).toEqual(expectedCells(op, false));
    // Without options the call is about another client too.
    for (const c of COLUMNS) expect(authorize(op, c.features).allowed, `${op} × ${c.label} (no options)`).toBe(expectedAllowed(op, c.features, false));
  });
});

describe('authorize, cell by cell, called about the calling client itself', () => {
  it.each(EXPECTED_OPERATIONS)('%s', (op) => {
    expect(row(op, true)).toEqual(expectedCells(op, true));
  });

  it('rules marked self are exactly the expected ones', () => {
    const selfOps = MATRIX_OPERATIONS.filter((op) => PERMISSION_MATRIX[op]?.self === true).sort();
    expect(selfOps).toEqual(EXPECTED_OPERATIONS.filter((op) => EXPECTED[op]?.self === true).sort());
  });

  it('a self rule lets a client with no features at all call it about itself, but not about another client', () => {
    expect(authorize('/settings/items', [], { self: true })).toEqual({ allowed: true });
    expect(authorize('/settings/items', [], { self: false })).toEqual({ allowed: false, reason: 'missing_feature' });
    expect(authorize('/settings/items', ['direct_access', 'login_client', 'metadata'], { self: false })).toEqual({ allowed: false, reason: 'missing_feature' });
    expect(authorize('GET /config/{app_id}/clients/{client_id}/settings', ['login_client'], { self: true })).toEqual({ allowed: true });
    expect(authorize('GET /config/{app_id}/clients/{client_id}/settings', ['login_client'])).toEqual({ allowed: false, reason: 'missing_feature' });
  });

  it('self does not open an owner-only operation without a self rule', () => {
    for (const op of ['/clients/set_whitelist', '/clients/reset_secret', '/settings/set', 'PUT /config/{app_id}/clients/{client_id}/settings', 'PUT /config/{app_id}/clients/{client_id}/secret']) {
      expect(authorize(op, ['direct_access'], { self: true }), op).toEqual({ allowed: false, reason: 'missing_feature' });
      expect(authorize(op, [], { self: true }), op).toEqual({ allowed: false, reason: 'missing_feature' });
    }
  });
});

describe('the other columns of the table: user tokens and the allow list', () => {
  it('the operations that accept a user access token are those of spec §1.4', () => {
    const actual = MATRIX_OPERATIONS.filter((op) => PERMISSION_MATRIX[op]?.userToken === true).sort();
    expect(actual).toEqual(EXPECTED_OPERATIONS.filter((op) => EXPECTED[op]?.userToken === true).sort());
  });

  it('public operations (no credentials) are exactly the expected ones, and only entity.create takes a creation token', () => {
    expect(MATRIX_OPERATIONS.filter((op) => PERMISSION_MATRIX[op]?.public === true)).toEqual(EXPECTED_OPERATIONS.filter((op) => EXPECTED[op]?.public === true));
    expect(MATRIX_OPERATIONS.filter((op) => PERMISSION_MATRIX[op]?.creationToken === true)).toEqual(['/entity.create']);
  });

  it('every operation respects the allow list except /access/getVerificationCode and the public ones (spec §1.6)', () => {
    for (const op of EXPECTED_OPERATIONS) {
      expect(PERMISSION_MATRIX[op]?.respectsAllowList, op).toBe(EXPECTED[op]?.respectsAllowList ?? true);
    }
  });
});

describe('verdicts', () => {
  it('an allowed call is { allowed: true } and a refused known operation says missing_feature', () => {
    expect(authorize('/entity', ['direct_read_access'])).toEqual({ allowed: true });
    expect(authorize('/entity.update', ['direct_read_access'])).toEqual({ allowed: false, reason: 'missing_feature' });
    expect(authorize('/clients/list', ['direct_access', 'access_issuer', 'login_client', 'direct_read_access', 'metadata'])).toEqual({ allowed: false, reason: 'missing_feature' });
  });

  it('metadata alone grants nothing, anywhere', () => {
    for (const op of EXPECTED_OPERATIONS) expect(authorize(op, ['metadata']), op).toEqual({ allowed: false, reason: 'missing_feature' });
  });

  it('owner may call every operation in the table (seed 000: "Available to access all API endpoints")', () => {
    for (const op of EXPECTED_OPERATIONS) expect(authorize(op, ['owner']), op).toEqual({ allowed: true });
  });

  it('unknown feature names grant nothing', () => {
    for (const op of EXPECTED_OPERATIONS) {
      expect(authorize(op, ['image_create', 'OWNER', 'Owner', ' owner', 'constructor', '__proto__']).allowed, op).toBe(false);
    }
  });
});

describe('deny by default', () => {
  const UNKNOWN = [
    '',
    '/',
    'entity',
    '/Entity',
    '/entity ',
    ' /entity',
    '/entity/',
    '/entity.FIND',
    '/entity.unknown',
    '/entityType.removeEverything',
    '/clients',
    '/clients/list/',
    '/settings',
    '/access/useVerificationCode2',
    '/oauth/authorize',
    '/audit',
    '/config/{app_id}/clients',
    'get /config/{app_id}/clients',
    'PATCH /config/{app_id}/clients/{client_id}',
    'DELETE /config/{app_id}/settings',
    'DELETE /config/{app_id}/clients/{client_id}/settings',
    'POST /config/{app_id}/entityTypes',
    'PUT /config/{app_id}/entityTypes/{entity_type}/attributes/{attribute_name}',
    'GET /config/{app_id}/schemas',
    'GET  /config/{app_id}/clients',
    'GET /config/app/clients',
  ];
  const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__'];
  const EVERY_FEATURE_LIST: readonly (readonly string[])[] = [...COLUMNS.map((c) => c.features), [...FEATURES]];

  it.each([...UNKNOWN, ...PROTOTYPE_NAMES])('refuses %j for every feature list, with and without self', (op) => {
    for (const features of EVERY_FEATURE_LIST) {
      expect(authorize(op, features), `${op} × ${features.join(',')}`).toEqual({ allowed: false, reason: 'unknown_operation' });
      expect(authorize(op, features, { self: true }), `${op} × ${features.join(',')} (self)`).toEqual({ allowed: false, reason: 'unknown_operation' });
    }
  });

  it('refuses any string that is not an operation of the table (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.subarray([...FEATURES]), fc.boolean(), (op, features, self) => {
        fc.pre(!Object.hasOwn(EXPECTED, op));
        expect(authorize(op, features, { self })).toEqual({ allowed: false, reason: 'unknown_operation' });
      }),
    );
  });
});

describe('properties', () => {
  const operation = fc.constantFrom(...EXPECTED_OPERATIONS);
  const featureList = fc.array(fc.oneof(fc.constantFrom(...FEATURES), fc.string({ maxLength: 12 })), { maxLength: 8 });

  it('agrees with the expected table for any feature list (property)', () => {
    fc.assert(
      fc.property(operation, featureList, fc.boolean(), (op, features, self) => {
        expect(authorize(op, features, { self }).allowed).toBe(expectedAllowed(op, features, self));
      }),
      { numRuns: 2000 },
    );
  });

  it('adding features never removes access (monotonic)', () => {
    fc.assert(
      fc.property(operation, featureList, featureList, fc.boolean(), (op, some, more, self) => {
        if (authorize(op, some, { self }).allowed) {
          expect(authorize(op, [...some, ...more], { self }).allowed).toBe(true);
          expect(authorize(op, [...more, ...some], { self }).allowed).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('direct_access can do everything direct_read_access can, in any company', () => {
    fc.assert(
      fc.property(operation, featureList, fc.boolean(), (op, others, self) => {
        if (authorize(op, [...others, 'direct_read_access'], { self }).allowed) {
          expect(authorize(op, [...others, 'direct_access'], { self }).allowed).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    for (const op of EXPECTED_OPERATIONS) {
      if (authorize(op, ['direct_read_access']).allowed) expect(authorize(op, ['direct_access']).allowed, op).toBe(true);
    }
  });

  it('order and repetition of features do not matter', () => {
    fc.assert(
      fc.property(operation, fc.array(fc.constantFrom(...FEATURES), { maxLength: 8 }), fc.boolean(), (op, features, self) => {
        const verdict = authorize(op, features, { self }).allowed;
        expect(authorize(op, [...features].reverse(), { self }).allowed).toBe(verdict);
        expect(authorize(op, [...features, ...features], { self }).allowed).toBe(verdict);
        expect(authorize(op, [...new Set(features)].sort(), { self }).allowed).toBe(verdict);
      }),
    );
  });
});
