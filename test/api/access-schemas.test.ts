// Access schemas × client features × entity operations over HTTP (spec capture-api §1.4, §1.5, §2,
// §3, §5.11–§5.13; seeds 000 and 001), on both engines: "A test enumerates every entity operation ×
// access type × client feature."
//
// The matrix: every client feature (and none) × every access-schema situation (none, one of the four
// access types set, all four set and deleted again) × every entity operation, with client credentials
// and with a user access token. Expected outcomes are computed here from a transcription of the seed
// permission table — not from src/'s PERMISSION_MATRIX — and every cell asserts the real outcome:
// 403 client_permission_error, 223 unknown_attribute with nothing changed, or success with exactly the
// expected change (records are read back with the application owner to prove it).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addClient, basic, expectOk, expectRegError, rawAuthorization, reg, RELAXED_THROTTLE, sleep, type Credentials, type RegResult } from './helpers.js';

type Rec = Record<string, unknown>;
type Params = Record<string, string>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const elementsOf = (v: unknown): Rec[] => (Array.isArray(v) ? (v as unknown[]).filter(isRec) : []);

function need(rec: Rec | null, what = 'the record'): Rec {
  if (rec === null) throw new Error(`${what} does not exist`);
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Expected permissions, from the seed tables (not from src/)

const FEATURE_NAMES = ['owner', 'access_issuer', 'direct_access', 'direct_read_access', 'login_client', 'metadata'] as const;
type FeatureName = (typeof FEATURE_NAMES)[number];

interface Kind {
  name: string;
  features: FeatureName[];
}

/** One client per feature, and one with none (spec §1.5: the default for a new client). */
const KINDS: readonly Kind[] = [...FEATURE_NAMES.map((f): Kind => ({ name: f, features: [f] })), { name: 'no features', features: [] }];

/** Seed 001, "Entity and Entity Type APIs: Entities", as published. */
const SEED_001_ENTITIES = `
Feature | GET | PUT / MODIFY | POST / CREATE | DELETE |
---|---|---|---|---|
login_client | ✗ | ✗ | ✗ | ✗ |
direct_read_access | ✓ | ✗ | ✗ | ✗ |
direct_access | ✓ | ✓ | ✓ | ✓ |
owner | ✓ | ✓ | ✓ | ✓ |
`;

type Column = 'GET' | 'PUT / MODIFY' | 'POST / CREATE' | 'DELETE';

function parseSeedTable(text: string): Map<string, Set<string>> {
  const rows = text
    .trim()
    .split('\n')
    .map((line) => line.split('|').map((c) => c.trim()));
  const header = rows[0] ?? [];
  const out = new Map<string, Set<string>>();
  for (const row of rows.slice(2)) {
    const allowed = new Set<string>();
    row.forEach((cell, i) => {
      if (i > 0 && cell === '✓') allowed.add(header[i] ?? '');
    });
    out.set(row[0] ?? '', allowed);
  }
  return out;
}

const ENTITY_PERMISSIONS = parseSeedTable(SEED_001_ENTITIES);

/** Seed 000: "the direct_access feature implies the direct_read_access feature". */
function effectiveFeatures(features: readonly FeatureName[]): Set<FeatureName> {
  const set = new Set(features);
  if (set.has('direct_access')) set.add('direct_read_access');
  return set;
}

/**
 * /entity.deleteAccess is not in the seed tables. Spec §2: own, ai, da, lc; but a login_client works
 * "only [with] the currently authenticated user" (seed 000), i.e. through that user's token (spec §1.4).
 */
const DELETE_ACCESS_WITH_CREDENTIALS: readonly FeatureName[] = ['owner', 'access_issuer', 'direct_access'];

/** Whether client credentials with these features may call an operation of this column (spec §1.5: at least one feature). */
function credentialsMayCall(features: readonly FeatureName[], column: Column | 'deleteAccess'): boolean {
  const have = [...effectiveFeatures(features)];
  if (column === 'deleteAccess') return have.some((f) => DELETE_ACCESS_WITH_CREDENTIALS.includes(f));
  // Features missing from the seed table (access_issuer, metadata) grant nothing on entities.
  return have.some((f) => ENTITY_PERMISSIONS.get(f)?.has(column) === true);
}

/**
 * entityType.getAccessSchema about itself: spec §2, "all five" (the recommended union; seed 001's own
 * "Access Schemas" table is narrower). Naming another client (`for_client_id`), and setting or deleting
 * access schemas: owner only (spec §2, seed 001 "Access Schemas" POST/DELETE).
 */
const READ_OWN_ACCESS_SCHEMA: readonly FeatureName[] = ['owner', 'access_issuer', 'direct_access', 'direct_read_access', 'login_client'];
const mayReadOwnAccessSchema = (kind: Kind): boolean => kind.features.some((f) => READ_OWN_ACCESS_SCHEMA.includes(f));
const isOwner = (kind: Kind): boolean => kind.features.includes('owner');

// ---------------------------------------------------------------------------------------------
// Access-schema situations

const ACCESS_TYPES = ['read', 'write', 'read_with_token', 'write_with_token'] as const;
type AccessType = (typeof ACCESS_TYPES)[number];

interface Scenario {
  name: string;
  /** The one access type with SCHEMA_ATTRS set (null: none in force). */
  active: AccessType | null;
  /** All four access types are set and then deleted again (full access, spec §5.13). */
  setThenDeleted: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'no access schema', active: null, setThenDeleted: false },
  ...ACCESS_TYPES.map((a): Scenario => ({ name: `${a} schema`, active: a, setThenDeleted: false })),
  { name: 'all four schemas deleted', active: null, setThenDeleted: true },
];

/** The attributes of every schema the matrix sets, in the path forms clients use (dot and slash). */
const SCHEMA_ATTRS = ['givenName', 'code', 'primaryAddress.city', '/statuses'];

/** What a client whose read schema is SCHEMA_ATTRS sees of a record (reserved attributes always). */
function schemaView(full: Rec): Rec {
  const out: Rec = {};
  for (const key of ['id', 'uuid', 'created', 'lastUpdated', 'givenName', 'code', 'statuses']) if (key in full) out[key] = full[key];
  const address = full.primaryAddress;
  out.primaryAddress = isRec(address) ? { city: address.city } : address;
  return out;
}

/** The entity type's attr_defs cut to SCHEMA_ATTRS (what getAccessSchema answers for such a schema). */
function prunedDefinitions(all: readonly Rec[]): Rec[] {
  const keep = new Set(['id', 'uuid', 'created', 'lastUpdated', 'givenName', 'code', 'primaryAddress', 'statuses']);
  return all
    .filter((d) => keep.has(String(d.name)))
    .map((d) => (d.name === 'primaryAddress' ? { ...d, attr_defs: elementsOf(d.attr_defs).filter((c) => c.name === 'city') } : d));
}

/** Attributes the tests add to the default `user` type. */
const EXTRA_ATTRIBUTES: readonly Rec[] = [
  { name: 'code', type: 'string', length: 64, constraints: ['unique'] },
  { name: 'statuses', type: 'plural', attr_defs: [{ name: 'status', type: 'string', length: 100 }] },
  { name: 'notes', type: 'plural', attr_defs: [{ name: 'note', type: 'string', length: 100 }] },
];

/** A record with a value in every attribute the cells look at, inside and outside SCHEMA_ATTRS. */
function fixture(tag: string): Rec {
  return {
    email: `${tag}@example.com`,
    code: tag,
    givenName: 'Given',
    familyName: 'Family',
    displayName: 'Display',
    primaryAddress: { city: 'City', zip: '12345' },
    statuses: [{ status: 's1' }, { status: 's2' }],
    notes: [{ note: 'n1' }, { note: 'n2' }],
  };
}

let tagCounter = 0;
const TAG_PREFIX = randomUUID().slice(0, 8);
const nextTag = (): string => `t${TAG_PREFIX}-${(tagCounter += 1)}`;

// ---------------------------------------------------------------------------------------------
// The cells: one entity operation each, run with credentials and/or a user token

type Op = '/entity' | '/entity.create' | '/entity.update' | '/entity.replace' | '/entity.delete' | '/entity.deleteAccess';
type Via = 'credentials' | 'token';

interface CheckInput {
  res: RegResult;
  before: Rec;
  /** The record read back by the application owner (null: gone / not created). */
  after: Rec | null;
  tag: string;
  /** The calling client has `metadata`: lastUpdated must not move. */
  metadata: boolean;
  /** What the caller may see of a record (its read schema applied, or everything). */
  view: (r: Rec) => Rec;
}

interface Cell {
  name: string;
  op: Op;
  column: Column | 'deleteAccess';
  /** The access schema the call is subject to (none: deleteAccess touches no attribute). */
  access: 'read' | 'write' | null;
  /** Every attribute the write touches is in SCHEMA_ATTRS. */
  inSchema: boolean;
  /** Creates a new record (identified by `code` = tag) instead of acting on the chain's record. */
  creates?: true;
  /** No token form (spec §1.4: tokens act on their own record). */
  credentialsOnly?: true;
  params(input: { before: Rec; tag: string }): Params;
  check(input: CheckInput): void;
}

/** After a permitted write: exactly `changed` moved, and lastUpdated moved unless the caller has `metadata`. */
function expectOnlyChanged(before: Rec, after: Rec, changed: readonly string[], metadata: boolean): void {
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (changed.includes(key) || key === 'lastUpdated') continue;
    expect(after[key], `${key} must not change`).toEqual(before[key]);
  }
  if (metadata) expect(after.lastUpdated, 'a metadata client does not change lastUpdated').toBe(before.lastUpdated);
  else expect(after.lastUpdated, 'lastUpdated moves on a write').not.toBe(before.lastUpdated);
}

const firstElementId = (rec: Rec, plural: string): number => {
  const id = elementsOf(rec[plural])[0]?.id;
  if (typeof id !== 'number') throw new Error(`the record has no ${plural} element left: ${JSON.stringify(rec[plural])}`);
  return id;
};

const elementIds = (v: unknown): unknown[] => elementsOf(v).map((e) => e.id);

/** Chain order matters: each cell starts from the state the previous one left (read back each time). */
const CELLS: readonly Cell[] = [
  {
    name: 'read',
    op: '/entity',
    column: 'GET',
    access: 'read',
    inSchema: true,
    params: () => ({}),
    check: ({ res, before, after, view }) => {
      expect(res.body.result).toEqual(view(before));
      expect(after).toEqual(before);
    },
  },
  {
    name: 'update inside the schema (givenName, include_record)',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attributes: JSON.stringify({ givenName: tag }), include_record: 'true' }),
    check: ({ res, before, after, tag, metadata, view }) => {
      const a = need(after);
      expect(a.givenName).toBe(tag);
      expectOnlyChanged(before, a, ['givenName'], metadata);
      expect(res.body.result, 'include_record is cut to the read schema, not the write schema').toEqual(view(a));
    },
  },
  {
    name: 'update inside the schema, nested ({primaryAddress: {city}})',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attributes: JSON.stringify({ primaryAddress: { city: tag } }) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a.primaryAddress).toEqual({ ...(before.primaryAddress as Rec), city: tag });
      expectOnlyChanged(before, a, ['primaryAddress'], metadata);
    },
  },
  {
    name: 'update inside the schema by attribute_name=/primaryAddress/city',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attribute_name: '/primaryAddress/city', attributes: JSON.stringify(tag) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a.primaryAddress).toEqual({ ...(before.primaryAddress as Rec), city: tag });
      expectOnlyChanged(before, a, ['primaryAddress'], metadata);
    },
  },
  {
    name: 'update inside the schema, plural append (statuses)',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attributes: JSON.stringify({ statuses: [{ status: tag }] }) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      const old = elementsOf(before.statuses);
      const now = elementsOf(a.statuses);
      expect(now.slice(0, old.length)).toEqual(old);
      expect(now.slice(old.length).map((e) => e.status)).toEqual([tag]);
      expect(elementIds(old)).not.toContain(now[old.length]?.id);
      expectOnlyChanged(before, a, ['statuses'], metadata);
    },
  },
  {
    name: 'update outside the schema (givenName + email)',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: false,
    params: ({ tag }) => ({ attributes: JSON.stringify({ givenName: tag, email: `${tag}@example.com` }) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a).toMatchObject({ givenName: tag, email: `${tag}@example.com` });
      expectOnlyChanged(before, a, ['givenName', 'email'], metadata);
    },
  },
  {
    name: 'update outside the schema, nested ({primaryAddress: {zip}})',
    op: '/entity.update',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: false,
    params: ({ tag }) => ({ attributes: JSON.stringify({ primaryAddress: { zip: tag } }) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a.primaryAddress).toEqual({ ...(before.primaryAddress as Rec), zip: tag });
      expectOnlyChanged(before, a, ['primaryAddress'], metadata);
    },
  },
  {
    name: 'replace inside the schema by attribute_name=/statuses',
    op: '/entity.replace',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attribute_name: '/statuses', attributes: JSON.stringify([{ status: `${tag}a` }, { status: `${tag}b` }]) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(elementsOf(a.statuses).map((e) => e.status)).toEqual([`${tag}a`, `${tag}b`]);
      for (const id of elementIds(a.statuses)) expect(elementIds(before.statuses), 'replaced elements get new ids').not.toContain(id);
      expectOnlyChanged(before, a, ['statuses'], metadata);
    },
  },
  {
    name: 'replace inside the schema by attribute_name=/givenName (value=)',
    op: '/entity.replace',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: true,
    params: ({ tag }) => ({ attribute_name: '/givenName', value: JSON.stringify(tag) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a.givenName).toBe(tag);
      expectOnlyChanged(before, a, ['givenName'], metadata);
    },
  },
  {
    name: 'delete a plural element inside the schema (/statuses#id)',
    op: '/entity.delete',
    column: 'DELETE',
    access: 'write',
    inSchema: true,
    params: ({ before }) => ({ attribute_name: `/statuses#${firstElementId(before, 'statuses')}` }),
    check: ({ before, after, metadata }) => {
      const a = need(after);
      expect(a.statuses).toEqual(elementsOf(before.statuses).slice(1));
      expectOnlyChanged(before, a, ['statuses'], metadata);
    },
  },
  {
    name: 'delete a plural element outside the schema (/notes#id)',
    op: '/entity.delete',
    column: 'DELETE',
    access: 'write',
    inSchema: false,
    params: ({ before }) => ({ attribute_name: `/notes#${firstElementId(before, 'notes')}` }),
    check: ({ before, after, metadata }) => {
      const a = need(after);
      expect(a.notes).toEqual(elementsOf(before.notes).slice(1));
      expectOnlyChanged(before, a, ['notes'], metadata);
    },
  },
  {
    name: 'replace the whole record (clears attributes outside the schema)',
    op: '/entity.replace',
    column: 'PUT / MODIFY',
    access: 'write',
    inSchema: false,
    params: ({ tag }) => ({ attributes: JSON.stringify({ givenName: tag, code: tag, statuses: [{ status: tag }] }) }),
    check: ({ before, after, tag, metadata }) => {
      const a = need(after);
      expect(a).toMatchObject({ givenName: tag, code: tag, email: null, familyName: null, displayName: null, notes: [] });
      expect(elementsOf(a.statuses).map((e) => e.status)).toEqual([tag]);
      const address = a.primaryAddress;
      if (isRec(address)) for (const v of Object.values(address)) expect(v).toBeNull();
      else expect(address).toBeNull();
      expect(a.created).toBe(before.created);
      if (metadata) expect(a.lastUpdated).toBe(before.lastUpdated);
      else expect(a.lastUpdated).not.toBe(before.lastUpdated);
    },
  },
  {
    name: 'create inside the schema (include_record)',
    op: '/entity.create',
    column: 'POST / CREATE',
    access: 'write',
    inSchema: true,
    creates: true,
    credentialsOnly: true,
    params: ({ tag }) => ({ attributes: JSON.stringify({ givenName: 'Created', code: tag, primaryAddress: { city: 'Created City' }, statuses: [{ status: 'created' }] }), include_record: 'true' }),
    check: ({ res, after, tag, view }) => {
      const a = need(after, 'the created record');
      expect(res.body.uuid).toBe(a.uuid);
      expect(res.body.id).toBe(a.id);
      expect(a).toMatchObject({ givenName: 'Created', code: tag, email: null, primaryAddress: { city: 'Created City', zip: null } });
      expect(elementsOf(a.statuses).map((e) => e.status)).toEqual(['created']);
      expect(res.body.result, 'include_record is cut to the read schema').toEqual(view(a));
    },
  },
  {
    name: 'create outside the schema (with email)',
    op: '/entity.create',
    column: 'POST / CREATE',
    access: 'write',
    inSchema: false,
    creates: true,
    credentialsOnly: true,
    params: ({ tag }) => ({ attributes: JSON.stringify({ givenName: 'Created', code: tag, email: `${tag}@example.com` }) }),
    check: ({ res, after, tag }) => {
      const a = need(after, 'the created record');
      expect(res.body.uuid).toBe(a.uuid);
      expect(a).toMatchObject({ givenName: 'Created', code: tag, email: `${tag}@example.com` });
    },
  },
  {
    name: 'deleteAccess',
    op: '/entity.deleteAccess',
    column: 'deleteAccess',
    access: null,
    inSchema: true,
    params: () => ({}),
    check: ({ before, after }) => {
      expect(after, 'deleteAccess does not touch the record').toEqual(before);
    },
  },
  {
    name: 'delete the whole record',
    op: '/entity.delete',
    column: 'DELETE',
    access: 'write',
    // Deleting a record removes every attribute, those outside the schema too.
    inSchema: false,
    params: () => ({}),
    check: ({ after }) => {
      expect(after, 'the record is gone').toBeNull();
    },
  },
];

const TOKEN_STYLES = ['OAuth', 'Bearer', 'access_token'] as const;
type TokenStyle = (typeof TOKEN_STYLES)[number];

/** The matrix's counts, for the summary test. */
const MATRIX_CELLS = KINDS.length * SCENARIOS.length * (CELLS.length + CELLS.filter((c) => !c.credentialsOnly).length);

describe.each(ENGINES)('access schemas × client features × entity operations on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  /** The `user` type's attr_defs (with EXTRA_ATTRIBUTES), as /entityType answers them. */
  let allDefinitions: Rec[] = [];

  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
    for (const attrDef of EXTRA_ATTRIBUTES) expectOk(await reg(t, '/entityType.addAttribute', { type_name: 'user', attr_def: JSON.stringify(attrDef) }, { auth: basic(owner) }));
    const type = await reg(t, '/entityType', { type_name: 'user' }, { auth: basic(owner) });
    expectOk(type);
    allDefinitions = elementsOf((type.body.schema as Rec).attr_defs);
    expect(allDefinitions.map((d) => d.name)).toEqual(expect.arrayContaining(['id', 'uuid', 'created', 'lastUpdated', 'email', 'code', 'statuses', 'notes']));
  });
  afterAll(async () => {
    await t?.close();
  });

  // -------------------------------------------------------------------------------------------
  // Calls

  async function ownerRead(selector: Params): Promise<Rec | null> {
    const res = await reg(t, '/entity', { type_name: 'user', ...selector }, { auth: basic(owner) });
    if (res.body.stat === 'error' && res.body.code === 310) return null;
    expectOk(res);
    const result = res.body.result;
    if (!isRec(result)) throw new Error(`/entity answered no record: ${res.text}`);
    return result;
  }

  async function createRecord(attributes: Rec = fixture(nextTag())): Promise<Rec> {
    const res = await reg(t, '/entity.create', { type_name: 'user', attributes: JSON.stringify(attributes) }, { auth: basic(owner) });
    expectOk(res);
    return need(await ownerRead({ uuid: String(res.body.uuid) }));
  }

  async function issueToken(uuid: unknown, forClientId: string): Promise<string> {
    const res = await reg(t, '/access/getAccessToken', { type_name: 'user', uuid: String(uuid), for_client_id: forClientId }, { auth: basic(owner) });
    expectOk(res);
    expect(res.body.accessToken).toEqual(expect.any(String));
    return String(res.body.accessToken);
  }

  function tokenCall(path: string, params: Params, token: string, style: TokenStyle): Promise<RegResult> {
    if (style === 'access_token') return reg(t, path, { ...params, access_token: token });
    return reg(t, path, params, { auth: rawAuthorization(`${style} ${token}`) });
  }

  const setSchema = (forClientId: string, accessType: AccessType, attributes: readonly string[], by: Credentials = owner): Promise<RegResult> =>
    reg(t, '/entityType.setAccessSchema', { type_name: 'user', for_client_id: forClientId, access_type: accessType, attributes: JSON.stringify(attributes) }, { auth: basic(by) });

  const deleteSchema = (forClientId: string, accessType: AccessType, by: Credentials = owner): Promise<RegResult> =>
    reg(t, '/entityType.deleteAccessSchema', { type_name: 'user', for_client_id: forClientId, access_type: accessType }, { auth: basic(by) });

  const getSchema = (accessType: AccessType, by: Credentials, forClientId?: string): Promise<RegResult> =>
    reg(t, '/entityType.getAccessSchema', { type_name: 'user', access_type: accessType, ...(forClientId === undefined ? {} : { for_client_id: forClientId }) }, { auth: basic(by) });

  function schemaBody(res: RegResult): Rec {
    expectOk(res);
    if (!isRec(res.body.schema)) throw new Error(`no schema in ${res.text}`);
    return res.body.schema;
  }

  const expectPermissionError = (res: RegResult): void => {
    expectRegError(res, 403);
    expect(res.body.error).toBe('client_permission_error');
  };

  const expectUnknownAttribute = (res: RegResult): void => {
    expectRegError(res, 223);
    expect(res.body.error).toBe('unknown_attribute');
    expect(res.body.error_description).toMatch(/^attribute does not exist: \//);
  };

  // -------------------------------------------------------------------------------------------
  // The matrix

  interface Chain {
    uuid: string;
    /** The record as the owner last read it (null once deleted). */
    state: Rec | null;
  }

  interface Group {
    client: Credentials;
    /** The record the credential cells act on, and a token for it that only deleteAccess may revoke. */
    cred: Chain;
    probe: string;
    /** The record the token cells act on, and the current token for it. */
    tok: Chain;
    token: string;
  }

  let groupIndex = 0;
  for (const kind of KINDS) {
    describe(`client with ${kind.features.length === 0 ? 'no features' : kind.features.join('+')}`, () => {
      for (const scenario of SCENARIOS) {
        const index = (groupIndex += 1);
        describe(scenario.name, () => {
          let group: Group | undefined;
          const g = (): Group => {
            if (!group) throw new Error('the group was not set up');
            return group;
          };

          beforeAll(async () => {
            const client = await addClient(t, owner, kind.features);
            if (scenario.active !== null) {
              const res = await setSchema(client.clientId, scenario.active, SCHEMA_ATTRS);
              expect(schemaBody(res)).toEqual({ attr_defs: prunedDefinitions(allDefinitions), name: 'user' });
              expect(res.body.notice, 'setAccessSchema notes the reserved attributes it added').toEqual(expect.any(String));
            }
            if (scenario.setThenDeleted) {
              for (const type of ACCESS_TYPES) expectOk(await setSchema(client.clientId, type, SCHEMA_ATTRS));
              for (const type of ACCESS_TYPES) {
                const res = await deleteSchema(client.clientId, type);
                expectOk(res);
                expect(res.body.result).toBe('access schema was deleted.');
              }
            }
            const credRecord = await createRecord();
            const tokRecord = await createRecord();
            group = {
              client,
              cred: { uuid: String(credRecord.uuid), state: credRecord },
              probe: await issueToken(credRecord.uuid, client.clientId),
              tok: { uuid: String(tokRecord.uuid), state: tokRecord },
              token: await issueToken(tokRecord.uuid, client.clientId),
            };
          });

          it(`getAccessSchema: ${mayReadOwnAccessSchema(kind) ? 'reads its own' : 'refused its own (403)'}; ${isOwner(kind) ? 'reads' : 'refused (403)'} another client's; the owner sees what was set`, async () => {
            const { client } = g();
            for (const type of ACCESS_TYPES) {
              const expected = { attr_defs: scenario.active === type ? prunedDefinitions(allDefinitions) : allDefinitions, name: 'user' };
              expect(schemaBody(await getSchema(type, owner, client.clientId)), `owner reads ${type}`).toEqual(expected);
              // Its own: by default, and naming itself once.
              for (const forClientId of type === 'read' ? [undefined, client.clientId] : [undefined]) {
                const own = await getSchema(type, client, forClientId);
                if (mayReadOwnAccessSchema(kind)) expect(schemaBody(own), `client reads its own ${type}`).toEqual(expected);
                else expectPermissionError(own);
              }
            }
            // Another client's (the bootstrap login client has no schema: full definitions).
            const other = await getSchema('read', client, t.login.clientId);
            if (isOwner(kind)) expect(schemaBody(other)).toEqual({ attr_defs: allDefinitions, name: 'user' });
            else expectPermissionError(other);
          });

          for (const via of ['credentials', 'token'] as const satisfies readonly Via[]) {
            describe(`with ${via}`, () => {
              CELLS.forEach((cell, cellIndex) => {
                if (via === 'token' && cell.credentialsOnly) return;
                const style: TokenStyle = TOKEN_STYLES[(index + cellIndex) % TOKEN_STYLES.length] ?? 'OAuth';
                // Client features do not apply to token calls (spec §1.4): the token's record is theirs.
                const permitted = via === 'token' || credentialsMayCall(kind.features, cell.column);
                const schemaType = (mode: 'read' | 'write'): AccessType => (via === 'token' ? `${mode}_with_token` : mode);
                const readRestricted = scenario.active === schemaType('read');
                const writeRestricted = cell.access === 'write' && scenario.active === schemaType('write');
                const outcome = !permitted ? '403' : writeRestricted && !cell.inSchema ? '223, nothing changes' : readRestricted && cell.access === 'read' ? 'ok, cut to the read schema' : 'ok';
                const title = `${cell.name}${via === 'token' ? ` [${style}]` : ''} → ${outcome}`;

                it(title, async () => {
                  const grp = g();
                  const chain = via === 'credentials' ? grp.cred : grp.tok;
                  const before = need(chain.state, 'the chain record');
                  const tag = nextTag();
                  const params = cell.params({ before, tag });
                  const succeeds = outcome.startsWith('ok');
                  // lastUpdated has millisecond resolution: leave a gap so that a write can move it.
                  if (succeeds && cell.access === 'write') await sleep(2);

                  const res =
                    via === 'credentials'
                      ? await reg(t, cell.op, { type_name: 'user', ...(cell.creates ? {} : { uuid: chain.uuid }), ...params }, { auth: basic(grp.client) })
                      : await tokenCall(cell.op, params, grp.token, style);

                  const after = cell.creates ? await ownerRead({ key_attribute: 'code', key_value: JSON.stringify(tag) }) : await ownerRead({ uuid: chain.uuid });
                  if (!cell.creates) chain.state = after;

                  if (cell.op === '/entity.deleteAccess') {
                    // Did the call end the record's sessions? Ask with a token issued before it.
                    const probeToken = via === 'credentials' ? grp.probe : grp.token;
                    const probe = await tokenCall('/entity', {}, probeToken, 'OAuth');
                    if (via === 'token') grp.token = await issueToken(chain.uuid, grp.client.clientId);
                    if (succeeds) expectRegError(probe, 413);
                    else expectOk(probe);
                  }

                  if (outcome === '403') {
                    expectPermissionError(res);
                    expect(res.body.result, 'no record data with a refusal').toBeUndefined();
                    if (cell.creates) expect(after, 'nothing was created').toBeNull();
                    else expect(after, 'nothing changed').toEqual(before);
                    return;
                  }
                  if (!succeeds) {
                    expectUnknownAttribute(res);
                    if (cell.creates) expect(after, 'nothing was created').toBeNull();
                    else expect(after, 'nothing changed').toEqual(before);
                    return;
                  }
                  expectOk(res);
                  cell.check({ res, before, after, tag, metadata: kind.features.includes('metadata'), view: (r) => (readRestricted ? schemaView(r) : r) });
                });
              });
            });
          }
        });
      }
    });
  }

  it(`the matrix has ${MATRIX_CELLS} cells: ${KINDS.length} clients × ${SCENARIOS.length} schema situations × (${CELLS.length} credential + ${CELLS.filter((c) => !c.credentialsOnly).length} token operations)`, () => {
    expect(new Set(CELLS.map((c) => c.op))).toEqual(new Set(['/entity', '/entity.create', '/entity.update', '/entity.replace', '/entity.delete', '/entity.deleteAccess']));
    expect(new Set(SCENARIOS.map((s) => s.active).filter((a) => a !== null))).toEqual(new Set(ACCESS_TYPES));
    expect(KINDS.map((k) => k.features.join('+'))).toEqual([...FEATURE_NAMES, '']);
  });

  // -------------------------------------------------------------------------------------------
  // Explicit cases around the matrix

  it('authenticate as Bob and then retrieve Mary: a token never reaches another record, whatever selector comes with it', async () => {
    const login = await addClient(t, owner, ['login_client']);
    const bob = await createRecord();
    const mary = await createRecord();
    const maryToken = await issueToken(mary.uuid, login.clientId);
    let bobToken = await issueToken(bob.uuid, login.clientId);
    const marySelectors: Params[] = [
      { uuid: String(mary.uuid) },
      { id: String(mary.id) },
      { key_attribute: 'email', key_value: JSON.stringify(mary.email) },
      { type_name: 'user', uuid: String(mary.uuid) },
    ];
    const maryUnchanged = async (): Promise<void> => expect(await ownerRead({ uuid: String(mary.uuid) }), "Mary's record").toEqual(mary);

    // Reads: always Bob's record, never a trace of Mary's.
    for (const style of TOKEN_STYLES) {
      for (const selector of marySelectors) {
        const res = await tokenCall('/entity', selector, bobToken, style);
        expectOk(res);
        expect((res.body.result as Rec).uuid, `${style} ${JSON.stringify(selector)}`).toBe(bob.uuid);
        expect(res.text).not.toContain(String(mary.uuid));
        expect(res.text).not.toContain(String(mary.email));
      }
    }

    // Writes land on Bob's record.
    expectOk(await tokenCall('/entity.update', { uuid: String(mary.uuid), attributes: JSON.stringify({ givenName: 'Mallory' }) }, bobToken, 'OAuth'));
    expectOk(await tokenCall('/entity.replace', { id: String(mary.id), attribute_name: '/familyName', attributes: JSON.stringify('Mallory') }, bobToken, 'Bearer'));
    const maryElement = firstElementId(mary, 'statuses');
    const deleted = await tokenCall('/entity.delete', { key_attribute: 'email', key_value: JSON.stringify(mary.email), attribute_name: `/statuses#${maryElement}` }, bobToken, 'access_token');
    // Element ids are per record: the same id may exist in Bob's record (then his goes) or not (310).
    if (deleted.body.stat === 'error') expectRegError(deleted, 310);
    await maryUnchanged();
    expect(await ownerRead({ uuid: String(bob.uuid) })).toMatchObject({ givenName: 'Mallory', familyName: 'Mallory' });

    // deleteAccess ends Bob's sessions, not Mary's.
    expectOk(await tokenCall('/entity.deleteAccess', { uuid: String(mary.uuid) }, bobToken, 'OAuth'));
    expectRegError(await tokenCall('/entity', {}, bobToken, 'OAuth'), 413);
    const maryRead = await tokenCall('/entity', {}, maryToken, 'OAuth');
    expectOk(maryRead);
    expect((maryRead.body.result as Rec).uuid).toBe(mary.uuid);

    // The login client's own credentials name no record at all.
    for (const op of ['/entity', '/entity.update', '/entity.replace', '/entity.delete', '/entity.deleteAccess']) {
      expectPermissionError(await reg(t, op, { type_name: 'user', uuid: String(mary.uuid), attributes: JSON.stringify({ givenName: 'Mallory' }) }, { auth: basic(login) }));
    }
    // Client credentials win over a token sent alongside them (spec §1 order): still the login client, still refused.
    bobToken = await issueToken(bob.uuid, login.clientId);
    const both = await reg(t, '/entity', { type_name: 'user', uuid: String(mary.uuid), access_token: bobToken }, { auth: basic(login) });
    expectPermissionError(both);
    expect(both.text).not.toContain(String(mary.email));
    const bothParams = await reg(t, '/entity', { client_id: login.clientId, client_secret: login.clientSecret, type_name: 'user', uuid: String(mary.uuid), access_token: bobToken });
    expectPermissionError(bothParams);
    expect(bothParams.text).not.toContain(String(mary.email));

    // Deleting "Mary" with Bob's token deletes Bob.
    expectOk(await tokenCall('/entity.delete', { uuid: String(mary.uuid) }, bobToken, 'OAuth'));
    expect(await ownerRead({ uuid: String(bob.uuid) })).toBeNull();
    await maryUnchanged();
  });

  it('metadata clients write without moving lastUpdated; others move it', async () => {
    const meta = await addClient(t, owner, ['direct_access', 'metadata']);
    const plain = await addClient(t, owner, ['direct_access']);
    const metaOnly = await addClient(t, owner, ['metadata']);
    const writes: { path: string; params: (r: Rec) => Params; changed: string }[] = [
      { path: '/entity.update', params: () => ({ attributes: JSON.stringify({ givenName: 'M1' }) }), changed: 'givenName' },
      { path: '/entity.update', params: () => ({ attribute_name: '/primaryAddress/city', attributes: JSON.stringify('M2') }), changed: 'primaryAddress' },
      { path: '/entity.replace', params: () => ({ attribute_name: '/statuses', attributes: JSON.stringify([{ status: 'M3' }]) }), changed: 'statuses' },
      { path: '/entity.delete', params: (r) => ({ attribute_name: `/notes#${firstElementId(r, 'notes')}` }), changed: 'notes' },
      { path: '/entity.replace', params: () => ({ attributes: JSON.stringify({ givenName: 'M4' }) }), changed: 'email' },
    ];
    const callers: { name: string; metadata: boolean; send: (path: string, params: Params, rec: Rec) => Promise<RegResult> }[] = [
      { name: 'direct_access+metadata', metadata: true, send: (path, params, rec) => reg(t, path, { type_name: 'user', uuid: String(rec.uuid), ...params }, { auth: basic(meta) }) },
      { name: 'direct_access', metadata: false, send: (path, params, rec) => reg(t, path, { type_name: 'user', uuid: String(rec.uuid), ...params }, { auth: basic(plain) }) },
      { name: 'metadata (token)', metadata: true, send: async (path, params, rec) => tokenCall(path, params, await issueToken(rec.uuid, metaOnly.clientId), 'OAuth') },
    ];
    for (const caller of callers) {
      let rec = await createRecord();
      for (const w of writes) {
        await sleep(3);
        expectOk(await caller.send(w.path, w.params(rec), rec));
        const after = need(await ownerRead({ uuid: String(rec.uuid) }));
        expect(after[w.changed], `${caller.name} ${w.path} changed ${w.changed}`).not.toEqual(rec[w.changed]);
        if (caller.metadata) expect(after.lastUpdated, `${caller.name} ${w.path}`).toBe(rec.lastUpdated);
        else expect(after.lastUpdated, `${caller.name} ${w.path}`).not.toBe(rec.lastUpdated);
        rec = after;
      }
    }
  });

  it('each call uses exactly the schema of its own access type: no inheritance between read, write and the token forms', async () => {
    const client = await addClient(t, owner, ['direct_access']);
    const lists: Record<AccessType, string[]> = { read: ['givenName'], write: ['familyName'], read_with_token: ['displayName'], write_with_token: ['primaryAddress'] };
    for (const type of ACCESS_TYPES) expectOk(await setSchema(client.clientId, type, lists[type]));
    const rec = await createRecord();
    const uuid = String(rec.uuid);
    const reserved = { id: rec.id, uuid: rec.uuid, created: rec.created, lastUpdated: rec.lastUpdated };
    const token = await issueToken(uuid, client.clientId);

    const credRead = await reg(t, '/entity', { type_name: 'user', uuid }, { auth: basic(client) });
    expectOk(credRead);
    expect(credRead.body.result).toEqual({ ...reserved, givenName: rec.givenName });
    const tokenRead = await tokenCall('/entity', {}, token, 'Bearer');
    expectOk(tokenRead);
    expect(tokenRead.body.result).toEqual({ ...reserved, displayName: rec.displayName });

    const credWrite = (attrs: Rec): Promise<RegResult> => reg(t, '/entity.update', { type_name: 'user', uuid, attributes: JSON.stringify(attrs) }, { auth: basic(client) });
    const tokenWrite = (attrs: Rec): Promise<RegResult> => tokenCall('/entity.update', { attributes: JSON.stringify(attrs) }, token, 'OAuth');
    for (const attrs of [{ givenName: 'x' }, { displayName: 'x' }, { primaryAddress: { city: 'x' } }, { email: 'x@example.com' }]) expectUnknownAttribute(await credWrite(attrs));
    for (const attrs of [{ givenName: 'x' }, { displayName: 'x' }, { familyName: 'x' }, { email: 'x@example.com' }]) expectUnknownAttribute(await tokenWrite(attrs));
    expect(await ownerRead({ uuid })).toEqual(rec);
    expectOk(await credWrite({ familyName: 'Written' }));
    expectOk(await tokenWrite({ primaryAddress: { city: 'Written City' } }));
    expect(await ownerRead({ uuid })).toMatchObject({ familyName: 'Written', primaryAddress: { city: 'Written City', zip: '12345' }, givenName: 'Given', displayName: 'Display' });
  });

  it('a write schema that lists a child (primaryAddress.city) lets the client write that child however it is addressed, and nothing else', async () => {
    const client = await addClient(t, owner, ['direct_access']);
    expectOk(await setSchema(client.clientId, 'write', ['primaryAddress.city']));
    const rec = await createRecord();
    const uuid = String(rec.uuid);
    const update = (params: Params): Promise<RegResult> => reg(t, '/entity.update', { type_name: 'user', uuid, ...params }, { auth: basic(client) });

    // Refused: siblings of the listed child, and clearing the object (which clears zip).
    const outside: Params[] = [{ attributes: JSON.stringify({ primaryAddress: { zip: '1' } }) }, { attribute_name: '/primaryAddress/zip', attributes: '"1"' }, { attributes: JSON.stringify({ primaryAddress: null }) }];
    for (const params of outside) {
      expectUnknownAttribute(await update(params));
    }
    expect(await ownerRead({ uuid })).toEqual(rec);

    // Allowed: the child itself, by path, as a nested object and as the object's sub-tree.
    const cases: [string, Params][] = [
      ['attribute_name=/primaryAddress/city', { attribute_name: '/primaryAddress/city', attributes: '"A"' }],
      ['attributes={primaryAddress: {city}}', { attributes: JSON.stringify({ primaryAddress: { city: 'B' } }) }],
      ['attribute_name=/primaryAddress, attributes={city}', { attribute_name: '/primaryAddress', attributes: JSON.stringify({ city: 'C' }) }],
    ];
    const refused: string[] = [];
    for (const [name, params] of cases) {
      const res = await update(params);
      if (res.body.stat !== 'ok') refused.push(`${name}: ${res.text}`);
    }
    expect(refused, 'writes that touch only /primaryAddress/city').toEqual([]);
    expect(await ownerRead({ uuid })).toMatchObject({ primaryAddress: { city: 'C', zip: '12345' }, email: rec.email });
  });

  it('a read schema also cuts `attributes` and `attribute_name` reads: nothing outside it leaks', async () => {
    const client = await addClient(t, owner, ['direct_read_access']);
    expectOk(await setSchema(client.clientId, 'read', ['givenName']));
    expectOk(await setSchema(client.clientId, 'read_with_token', ['givenName']));
    const rec = await createRecord();
    const token = await issueToken(rec.uuid, client.clientId);
    const asks: Params[] = [{ attributes: JSON.stringify(['email', 'givenName']) }, { attribute_name: '/email' }, { attribute_name: 'primaryAddress' }, { attributes: JSON.stringify(['primaryAddress.zip']) }];
    for (const ask of asks) {
      for (const res of [await reg(t, '/entity', { type_name: 'user', uuid: String(rec.uuid), ...ask }, { auth: basic(client) }), await tokenCall('/entity', ask, token, 'OAuth')]) {
        expect(res.text, JSON.stringify(ask)).not.toContain(String(rec.email));
        expect(res.text, JSON.stringify(ask)).not.toContain('12345');
        if (res.body.stat === 'error') expectUnknownAttribute(res);
      }
    }
    const both = await reg(t, '/entity', { type_name: 'user', uuid: String(rec.uuid), attributes: JSON.stringify(['email', 'givenName']) }, { auth: basic(client) });
    expectOk(both);
    expect((both.body.result as Rec).givenName).toBe(rec.givenName);
  });

  it('a changed or deleted schema takes effect at once (no stale cache)', async () => {
    const client = await addClient(t, owner, ['direct_access']);
    const rec = await createRecord();
    const uuid = String(rec.uuid);
    const read = async (): Promise<Rec> => {
      const res = await reg(t, '/entity', { type_name: 'user', uuid }, { auth: basic(client) });
      expectOk(res);
      return res.body.result as Rec;
    };
    const write = (attrs: Rec): Promise<RegResult> => reg(t, '/entity.update', { type_name: 'user', uuid, attributes: JSON.stringify(attrs) }, { auth: basic(client) });

    expect(Object.keys(await read())).toContain('email');
    expectOk(await setSchema(client.clientId, 'read', ['givenName']));
    expectOk(await setSchema(client.clientId, 'write', ['givenName']));
    expect(Object.keys(await read()).sort()).toEqual(['created', 'givenName', 'id', 'lastUpdated', 'uuid']);
    expectUnknownAttribute(await write({ familyName: 'No' }));
    expectOk(await write({ givenName: 'Yes' }));

    expectOk(await setSchema(client.clientId, 'read', ['familyName']));
    expectOk(await setSchema(client.clientId, 'write', ['familyName']));
    expect(Object.keys(await read()).sort()).toEqual(['created', 'familyName', 'id', 'lastUpdated', 'uuid']);
    expectUnknownAttribute(await write({ givenName: 'No' }));
    expectOk(await write({ familyName: 'Yes' }));

    expectOk(await deleteSchema(client.clientId, 'read'));
    expect(Object.keys(await read())).toContain('email');
    expectUnknownAttribute(await write({ givenName: 'No' }));
    expectOk(await deleteSchema(client.clientId, 'write'));
    expectOk(await write({ givenName: 'Again', email: `${nextTag()}@example.com` }));
    expect(await ownerRead({ uuid })).toMatchObject({ givenName: 'Again', familyName: 'Yes' });
    for (const type of ACCESS_TYPES) expect(schemaBody(await getSchema(type, owner, client.clientId)).attr_defs).toEqual(allDefinitions);
  });

  it('only an owner sets or deletes access schemas; refused attempts change nothing', async () => {
    for (const kind of KINDS) {
      const caller = await addClient(t, owner, kind.features);
      const target = await addClient(t, owner, []);
      expectOk(await setSchema(target.clientId, 'read', ['givenName']));
      const givenNameOnly = schemaBody(await getSchema('read', owner, target.clientId));
      const set = await setSchema(target.clientId, 'read', ['email'], caller);
      const del = await deleteSchema(target.clientId, 'read', caller);
      const now = schemaBody(await getSchema('read', owner, target.clientId));
      if (isOwner(kind)) {
        expectOk(set);
        expectOk(del);
        expect(now.attr_defs, kind.name).toEqual(allDefinitions);
      } else {
        expectPermissionError(set);
        expectPermissionError(del);
        expect(now, kind.name).toEqual(givenNameOnly);
      }
    }
  });
});
