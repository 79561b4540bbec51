// User tokens over HTTP (spec capture-api §1.4, §3.9, §9; docs/entities.md "User tokens"): access
// tokens from /access/getAccessToken and /oauth/token, authorization codes, single-use rotating
// refresh tokens, expiry, /entity.deleteAccess, creation tokens, verification codes, the permission
// matrix of /access/* and /oauth/token, seed 000's rule that a user's token reaches that user's record
// and no other, and that no token or code ever reaches the server log. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addApplicationWithOwner,
  addClient,
  basic,
  asParams,
  expectOk,
  expectRegError,
  noAuth,
  rawAuthorization,
  reg,
  RELAXED_THROTTLE,
  sleep,
  type Auth,
  type Credentials,
  type RegOptions,
  type RegResult,
} from './helpers.js';

type Rec = Record<string, unknown>;
type TokenMethod = 'OAuth' | 'Bearer' | 'param' | 'query';

const TOKEN = /^[a-z0-9]{32}$/;
const REDIRECT = 'https://app.example/callback';
const json = (v: unknown): string => JSON.stringify(v);

/** `2016-03-13 19:39:17.856608 +0000` → epoch milliseconds. */
function recordTime(text: unknown): number {
  const m = typeof text === 'string' ? /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? \+0000$/.exec(text) : null;
  if (!m) throw new Error(`not a record timestamp: ${String(text)}`);
  return Date.parse(`${m[1] ?? ''}T${m[2] ?? ''}${(m[3] ?? '').slice(0, 4)}Z`);
}

describe.each(ENGINES)('user tokens on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  /** One client per feature (and one with none), for the permission matrix. */
  const clients = new Map<string, Credentials>();
  /** Every token and code issued in this suite: none of them may ever be logged. */
  const issued = new Set<string>();

  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
    clients.set('owner', owner);
    clients.set('login_client', t.login);
    for (const f of ['access_issuer', 'direct_access', 'direct_read_access']) clients.set(f, await addClient(t, owner, [f]));
    clients.set('none', await addClient(t, owner, []));
  });
  afterAll(async () => {
    await t?.close();
  });

  const client = (feature: string): Credentials => {
    const c = clients.get(feature);
    if (!c) throw new Error(`no client ${feature}`);
    return c;
  };
  const call = (path: string, params: Record<string, string>, creds: Credentials = owner, opts: RegOptions = {}): Promise<RegResult> => reg(t, path, params, { auth: basic(creds), ...opts });
  const ok = async (path: string, params: Record<string, string>, creds: Credentials = owner): Promise<RegResult> => {
    const res = await call(path, params, creds);
    expectOk(res);
    return res;
  };
  const remember = (token: unknown): string => {
    expect(token).toMatch(TOKEN);
    issued.add(token as string);
    return token as string;
  };

  let seq = 0;
  const newUser = async (name: string, extra: Rec = {}): Promise<{ id: number; uuid: string; email: string }> => {
    seq += 1;
    const email = `${name}${seq}@example.com`;
    const res = await ok('/entity.create', { type_name: 'user', attributes: json({ email, givenName: name, ...extra }) });
    return { id: res.body.id as number, uuid: res.body.uuid as string, email };
  };
  const readAsOwner = async (id: number): Promise<Rec> => (await ok('/entity', { type_name: 'user', id: String(id) })).body.result as Rec;

  const accessToken = async (uuid: string, params: Record<string, string> = {}, creds: Credentials = owner): Promise<string> =>
    remember((await ok('/access/getAccessToken', { type_name: 'user', uuid, ...params }, creds)).body.accessToken);
  const authCode = async (uuid: string, forClient: Credentials, params: Record<string, string> = {}): Promise<string> =>
    remember((await ok('/access/getAuthorizationCode', { type_name: 'user', uuid, redirect_uri: REDIRECT, for_client_id: forClient.clientId, ...params })).body.authorizationCode);

  /** A call authenticated by a user token, carried the given way. */
  const asUser = (path: string, params: Record<string, string>, token: string, how: TokenMethod = 'OAuth'): Promise<RegResult> => {
    if (how === 'OAuth' || how === 'Bearer') return reg(t, path, params, { auth: rawAuthorization(`${how} ${token}`) });
    if (how === 'query') return reg(t, path, params, { auth: noAuth, method: 'GET', encoding: 'query', query: { access_token: token } });
    return reg(t, path, { ...params, access_token: token }, { auth: noAuth });
  };
  const readAsUser = async (token: string, params: Record<string, string> = {}, how: TokenMethod = 'OAuth'): Promise<Rec> => {
    const res = await asUser('/entity', params, token, how);
    expectOk(res);
    return res.body.result as Rec;
  };

  /** /oauth/token; `auth` defaults to Basic with the given client. */
  const oauth = async (params: Record<string, string>, creds: Credentials, auth: Auth = basic(creds)): Promise<RegResult> => {
    const res = await reg(t, '/oauth/token', params, { auth });
    if (res.body.stat === 'ok') {
      remember(res.body.access_token);
      remember(res.body.refresh_token);
    }
    return res;
  };
  const exchange = (code: string, creds: Credentials, redirectUri = REDIRECT): Promise<RegResult> => oauth({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }, creds);
  const refresh = (token: string, creds: Credentials): Promise<RegResult> => oauth({ grant_type: 'refresh_token', refresh_token: token }, creds);
  const expectOAuthError = (res: RegResult, code: number, error?: string): void => {
    expect(res.status, res.text).toBe(400);
    expect(res.body, res.text).toMatchObject({ stat: 'error', code });
    if (error !== undefined) expect(res.body.error, res.text).toBe(error);
    expect(res.body.request_id).toMatch(/^[a-z0-9]{16}$/);
  };

  // -------------------------------------------------------------------------------------------
  // Access tokens

  it('getAccessToken: the token reads its record through OAuth, Bearer and access_token, selectors and type_name ignored', async () => {
    const bob = await newUser('bob');
    const mary = await newUser('mary');
    const token = await accessToken(bob.uuid);
    for (const how of ['OAuth', 'Bearer', 'param', 'query'] as const) {
      expect(await readAsUser(token, {}, how), how).toMatchObject({ id: bob.id, uuid: bob.uuid, email: bob.email, givenName: 'bob' });
    }
    // Mary's selectors, or another type name, change nothing: the token is bound to Bob's record.
    const selectors: Record<string, string>[] = [{ uuid: mary.uuid }, { id: String(mary.id) }, { key_attribute: 'email', key_value: json(mary.email) }, { type_name: 'nosuchtype' }, { type_name: 'user', uuid: mary.uuid }];
    for (const selector of selectors) {
      expect(await readAsUser(token, selector), json(selector)).toMatchObject({ uuid: bob.uuid, email: bob.email });
    }
    // Also /entityType (view), which a token may call without type_name.
    const schema = await asUser('/entityType', {}, token);
    expectOk(schema);
    expect((schema.body.schema as { name: string }).name).toBe('user');

    // The token is issued by any selector, and every issue is a new token.
    const byId = remember((await ok('/access/getAccessToken', { type_name: 'user', id: String(bob.id) })).body.accessToken);
    expect(byId).not.toBe(token);
    expect((await readAsUser(byId)).uuid).toBe(bob.uuid);
    const byKeyAttr = remember((await ok('/access/getAccessToken', { type_name: 'user', key_attribute: 'email', key_value: json(bob.email.toUpperCase()) })).body.accessToken);
    expect((await readAsUser(byKeyAttr)).uuid).toBe(bob.uuid);

    // Unknown token, unknown record, unknown type.
    const unknown = await asUser('/entity', {}, 'a'.repeat(32));
    expectRegError(unknown, 413);
    expect(unknown.body.error).toBe('no_access_grant');
    expectRegError(await call('/access/getAccessToken', { type_name: 'user', uuid: '00000000-0000-4000-8000-000000000000' }), 310);
    expectRegError(await call('/access/getAccessToken', { type_name: 'nosuchtype', uuid: bob.uuid }), 222);
    expectRegError(await call('/access/getAccessToken', { type_name: 'user' }), 100);
  });

  it('getAccessToken for_client_id: the token acts as that client, whose *_with_token access schemas apply', async () => {
    const app = await addClient(t, owner, ['login_client'], 'app with token schemas');
    const bob = await newUser('bobapp', { familyName: 'Builder' });
    expectOk(await call('/entityType.setAccessSchema', { type_name: 'user', for_client_id: app.clientId, access_type: 'read_with_token', attributes: json(['givenName']) }));
    expectOk(await call('/entityType.setAccessSchema', { type_name: 'user', for_client_id: app.clientId, access_type: 'write_with_token', attributes: json(['givenName']) }));

    const forApp = await accessToken(bob.uuid, { for_client_id: app.clientId }, client('access_issuer'));
    const seen = await readAsUser(forApp);
    expect(seen).toMatchObject({ uuid: bob.uuid, givenName: 'bobapp' });
    expect(seen).not.toHaveProperty('email');
    expect(seen).not.toHaveProperty('familyName');
    expectRegError(await asUser('/entity.update', { attributes: json({ email: 'changed@example.com' }) }, forApp), 223);
    expectOk(await asUser('/entity.update', { attributes: json({ givenName: 'Robert' }) }, forApp));
    expect(await readAsOwner(bob.id)).toMatchObject({ givenName: 'Robert', email: bob.email, familyName: 'Builder' });

    // The issuer's own token (no for_client_id) is the issuer's: no token schemas, the whole record.
    const own = await accessToken(bob.uuid, {}, client('access_issuer'));
    expect(await readAsUser(own)).toMatchObject({ email: bob.email, familyName: 'Builder' });

    expectRegError(await call('/access/getAccessToken', { type_name: 'user', uuid: bob.uuid, for_client_id: 'nosuchclient' }), 200, 'for_client_id');
  });

  // -------------------------------------------------------------------------------------------
  // Authorization codes and /oauth/token

  it('getAuthorizationCode + /oauth/token: one exchange per code, the same redirect_uri, the same client', async () => {
    const bob = await newUser('bobcode');
    const login = client('login_client');
    const code = await authCode(bob.uuid, login, { transaction_state: json({ step: 2, from: 'signin' }) });

    const res = await exchange(code, login);
    expect(res.status, res.text).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ stat: 'ok', expires_in: 3600, token_type: 'Bearer', transaction_state: { step: 2, from: 'signin' } });
    expect(res.body.access_token).not.toBe(res.body.refresh_token);
    expect(await readAsUser(res.body.access_token as string)).toMatchObject({ uuid: bob.uuid, email: bob.email });

    // Single use: the second exchange fails.
    expectOAuthError(await exchange(code, login), 413, 'invalid_grant');

    // redirect_uri must match the one the code was issued with.
    const mismatched = await exchange(await authCode(bob.uuid, login), login, 'https://evil.example/callback');
    expectOAuthError(mismatched, 420, 'invalid_grant');
    expect(mismatched.body.sub_error).toBe('redirect_uri_mismatch');

    // A code issued for client A cannot be exchanged by client B (B may call /oauth/token).
    const forA = await authCode(bob.uuid, login);
    const byB = await exchange(forA, client('access_issuer'));
    expectOAuthError(byB, 413, 'invalid_grant');
    expect(byB.text).not.toContain('access_token":"');

    // Credentials as parameters work too; without transaction_state there is none in the answer.
    const plain = await oauth({ grant_type: 'authorization_code', code: await authCode(bob.uuid, login), redirect_uri: REDIRECT }, login, asParams(login));
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body).not.toHaveProperty('transaction_state');

    // Codes are not access tokens, and access tokens are not codes.
    const unused = await authCode(bob.uuid, login);
    expectRegError(await asUser('/entity', {}, unused), 413);
    expectOAuthError(await exchange(plain.body.access_token as string, login), 413);
    expectOk(await exchange(unused, login));

    // Missing arguments, bad grant type, bad client credentials.
    expectOAuthError(await oauth({ grant_type: 'authorization_code', redirect_uri: REDIRECT }, login), 100, 'invalid_request');
    expectOAuthError(await oauth({ grant_type: 'authorization_code', code: await authCode(bob.uuid, login) }, login), 100, 'invalid_request');
    const badGrant = await oauth({ grant_type: 'password', username: bob.email, password: 'x' }, login);
    expect(badGrant.status).toBe(400);
    expect(badGrant.body.stat).toBe('error');
    const badClient = await oauth({ grant_type: 'authorization_code', code: await authCode(bob.uuid, login), redirect_uri: REDIRECT }, login, basic({ clientId: login.clientId, clientSecret: 'wrong' }));
    expect(badClient.status, badClient.text).toBe(401);
    expect(badClient.body).toMatchObject({ stat: 'error', code: 402, error: 'invalid_client' });
    // A user token is not client authentication.
    const withToken = await oauth({ grant_type: 'refresh_token', refresh_token: 'x' }, login, rawAuthorization(`Bearer ${plain.body.access_token as string}`));
    expect(withToken.status).toBe(401);
    expect(withToken.body.stat).toBe('error');

    expectRegError(await call('/access/getAuthorizationCode', { type_name: 'user', uuid: bob.uuid }), 100, 'redirect_uri');
  });

  it('refresh_token: single use and rotating; the new pair works', async () => {
    const bob = await newUser('bobrefresh');
    const login = client('login_client');
    const first = await exchange(await authCode(bob.uuid, login), login);
    expect(first.status, first.text).toBe(200);
    const refresh1 = first.body.refresh_token as string;

    const second = await refresh(refresh1, login);
    expect(second.status, second.text).toBe(200);
    expect(second.body).toMatchObject({ stat: 'ok', expires_in: 3600, token_type: 'Bearer' });
    const refresh2 = second.body.refresh_token as string;
    expect(refresh2).not.toBe(refresh1);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect((await readAsUser(second.body.access_token as string)).uuid).toBe(bob.uuid);

    // The old refresh token is used up; the new one works once.
    expectOAuthError(await refresh(refresh1, login), 413, 'invalid_grant');
    const third = await refresh(refresh2, login);
    expect(third.status, third.text).toBe(200);
    expectOAuthError(await refresh(refresh2, login), 413, 'invalid_grant');
    expect((await readAsUser(third.body.access_token as string)).uuid).toBe(bob.uuid);

    // Another client cannot use it; an access token is not a refresh token.
    const refresh3 = third.body.refresh_token as string;
    expectOAuthError(await refresh(refresh3, client('direct_access')), 413);
    expectOAuthError(await refresh(third.body.access_token as string, login), 413);
    expectOAuthError(await refresh('b'.repeat(32), login), 413);
    expectOAuthError(await oauth({ grant_type: 'refresh_token' }, login), 100, 'invalid_request');
  });

  it('expired tokens and codes: access token 414, authorization code 415, verification code 416, creation token 417', async () => {
    const bob = await newUser('bobexpiry');
    const login = client('login_client');
    const access = await accessToken(bob.uuid, { lifetime: '1' });
    const code = await authCode(bob.uuid, login, { lifetime: '1' });
    const creation = remember((await ok('/access/getCreationToken', { type_name: 'user', lifetime: '1' })).body.creation_token);
    const verification = remember((await ok('/access/getVerificationCode', { type_name: 'user', uuid: bob.uuid, attribute_name: 'emailVerified', lifetime: '1' })).body.verification_code);
    // Still valid now.
    expect((await readAsUser(access)).uuid).toBe(bob.uuid);

    await sleep(1_500);
    const expiredAccess = await asUser('/entity', {}, access);
    expectRegError(expiredAccess, 414);
    expect(expiredAccess.body.error).toBe('access_token_expired');
    expectOAuthError(await exchange(code, login), 415, 'invalid_grant');
    const expiredCreation = await reg(t, '/entity.create', { type_name: 'user', creation_token: creation, attributes: json({ givenName: 'late' }) });
    expectRegError(expiredCreation, 417);
    expectRegError(await reg(t, '/access/useVerificationCode', { verification_code: verification }), 416);
    expect((await readAsOwner(bob.id)).emailVerified).toBeNull();

    for (const lifetime of ['0', '-1', 'abc', '86401']) {
      expectRegError(await call('/access/getAccessToken', { type_name: 'user', uuid: bob.uuid, lifetime }), 200, 'lifetime');
    }
  });

  // -------------------------------------------------------------------------------------------
  // deleteAccess

  it('/entity.deleteAccess revokes every token and code of the record, and only of that record', async () => {
    const carol = await newUser('carol');
    const dave = await newUser('dave');
    const login = client('login_client');
    const access = await accessToken(carol.uuid);
    const exchanged = await exchange(await authCode(carol.uuid, login), login);
    expect(exchanged.status, exchanged.text).toBe(200);
    const pendingCode = await authCode(carol.uuid, login);
    const daveToken = await accessToken(dave.uuid);

    expectOk(await call('/entity.deleteAccess', { type_name: 'user', uuid: carol.uuid }));
    for (const token of [access, exchanged.body.access_token as string]) {
      const res = await asUser('/entity', {}, token);
      expectRegError(res, 413);
      expect(res.body.error).toBe('no_access_grant');
    }
    expectOAuthError(await refresh(exchanged.body.refresh_token as string, login), 413);
    expectOAuthError(await exchange(pendingCode, login), 413);
    // Dave is untouched; Carol gets new tokens as before.
    expect((await readAsUser(daveToken)).uuid).toBe(dave.uuid);
    const again = await accessToken(carol.uuid);
    expect((await readAsUser(again)).uuid).toBe(carol.uuid);

    // The user's own token may end the user's sessions (no client credentials needed).
    expectOk(await asUser('/entity.deleteAccess', {}, again));
    expectRegError(await asUser('/entity', {}, again), 413);

    // Who may call it with client credentials: owner, access_issuer, direct_access; not a login
    // client (it needs the user's token) nor a reader.
    for (const [feature, allowed] of [['access_issuer', true], ['direct_access', true], ['direct_read_access', false], ['login_client', false], ['none', false]] as const) {
      const res = await call('/entity.deleteAccess', { type_name: 'user', uuid: carol.uuid }, client(feature));
      if (allowed) expectOk(res);
      else expectRegError(res, 403);
    }
    expectRegError(await call('/entity.deleteAccess', { type_name: 'user', uuid: '00000000-0000-4000-8000-000000000000' }), 310);
  });

  it('deleting a record removes its tokens', async () => {
    const erin = await newUser('erin');
    const token = await accessToken(erin.uuid);
    expectOk(await call('/entity.delete', { type_name: 'user', uuid: erin.uuid }));
    expectRegError(await asUser('/entity', {}, token), 413);
  });

  // -------------------------------------------------------------------------------------------
  // Creation tokens

  it('getCreationToken: one /entity.create without client credentials, of that type only', async () => {
    const creation = remember((await ok('/access/getCreationToken', { type_name: 'user' })).body.creation_token);
    const created = await reg(t, '/entity.create', { type_name: 'user', creation_token: creation, attributes: json({ email: 'created-by-token@example.com', givenName: 'Tok' }) });
    expectOk(created);
    expect(created.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readAsOwner(created.body.id as number)).toMatchObject({ email: 'created-by-token@example.com', givenName: 'Tok' });

    // Single use.
    const second = await reg(t, '/entity.create', { type_name: 'user', creation_token: creation, attributes: json({ givenName: 'Again' }) });
    expectRegError(second, 413);

    // A create that fails does not use the token up; type_name may be left out.
    const another = remember((await ok('/access/getCreationToken', { type_name: 'user' }, client('access_issuer'))).body.creation_token);
    expectRegError(await reg(t, '/entity.create', { type_name: 'user', creation_token: another, attributes: json({ email: 'CREATED-BY-TOKEN@example.com' }) }), 361);
    expectOk(await reg(t, '/entity.create', { creation_token: another, attributes: json({ email: 'second-by-token@example.com' }) }));
    expectRegError(await reg(t, '/entity.create', { creation_token: another, attributes: json({ email: 'third-by-token@example.com' }) }), 413);

    // A token for another type cannot create a user.
    expectOk(await call('/entityType.create', { type_name: 'gadget', attr_defs: json([{ name: 'label', type: 'string' }]) }));
    const gadgetToken = remember((await ok('/access/getCreationToken', { type_name: 'gadget' })).body.creation_token);
    expectRegError(await reg(t, '/entity.create', { type_name: 'user', creation_token: gadgetToken, attributes: json({ givenName: 'Wrong' }) }), 403);
    expectOk(await reg(t, '/entity.create', { type_name: 'gadget', creation_token: gadgetToken, attributes: json({ label: 'right' }) }));

    // Creation tokens authenticate nothing but entity.create.
    const unused = remember((await ok('/access/getCreationToken', { type_name: 'user' })).body.creation_token);
    const read = await reg(t, '/entity', { type_name: 'user', id: String(created.body.id), creation_token: unused });
    expect(read.body.stat).toBe('error');
    expectRegError(await asUser('/entity', {}, unused), 413);
    expectRegError(await reg(t, '/entity.create', { type_name: 'user', creation_token: 'c'.repeat(32), attributes: '{}' }), 413);
    expectRegError(await call('/access/getCreationToken', { type_name: 'nosuchtype' }), 222);
  });

  // -------------------------------------------------------------------------------------------
  // Verification codes

  it('getVerificationCode + useVerificationCode: stamps emailVerified with now, once, with no credentials', async () => {
    const fay = await newUser('fay');
    expect((await readAsOwner(fay.id)).emailVerified).toBeNull();
    const code = remember((await ok('/access/getVerificationCode', { type_name: 'user', uuid: fay.uuid, attribute_name: 'emailVerified' })).body.verification_code);

    const before = Date.now();
    const used = await reg(t, '/access/useVerificationCode', { verification_code: code });
    expectOk(used);
    expect(Object.keys(used.body)).toEqual(['stat']);
    const stamped = recordTime((await readAsOwner(fay.id)).emailVerified);
    expect(stamped).toBeGreaterThanOrEqual(before - 2_000);
    expect(stamped).toBeLessThanOrEqual(Date.now() + 2_000);

    expectRegError(await reg(t, '/access/useVerificationCode', { verification_code: code }), 413);
    expectRegError(await reg(t, '/access/useVerificationCode', {}), 100, 'verification_code');
    expectRegError(await reg(t, '/access/useVerificationCode', { verification_code: 'v'.repeat(32) }), 413);
    // A verification code is not an access token.
    const other = remember((await ok('/access/getVerificationCode', { type_name: 'user', uuid: fay.uuid, attribute_name: 'emailVerified' }, client('direct_access'))).body.verification_code);
    expectRegError(await asUser('/entity', {}, other), 413);

    expectRegError(await call('/access/getVerificationCode', { type_name: 'user', uuid: fay.uuid, attribute_name: 'givenName' }), 200, 'attribute_name');
    expectRegError(await call('/access/getVerificationCode', { type_name: 'user', uuid: fay.uuid, attribute_name: 'nosuch' }), 223);
    expectRegError(await call('/access/getVerificationCode', { type_name: 'user', uuid: fay.uuid }), 100, 'attribute_name');
  });

  it('one-time tokens stay single use under concurrent use: codes, refresh tokens, creation tokens', async () => {
    const jo = await newUser('jo');
    const login = client('login_client');
    const code = await authCode(jo.uuid, login);
    const exchanges = await Promise.all(Array.from({ length: 6 }, () => exchange(code, login)));
    expect(exchanges.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of exchanges.filter((x) => x.status !== 200)) expectOAuthError(r, 413);

    const refreshToken = exchanges.find((r) => r.status === 200)?.body.refresh_token as string;
    const refreshes = await Promise.all(Array.from({ length: 6 }, () => refresh(refreshToken, login)));
    expect(refreshes.filter((r) => r.status === 200)).toHaveLength(1);

    const creation = remember((await ok('/access/getCreationToken', { type_name: 'user' })).body.creation_token);
    const creates = await Promise.all(
      Array.from({ length: 6 }, (_, i) => reg(t, '/entity.create', { type_name: 'user', creation_token: creation, attributes: json({ email: `race${i}@example.com` }) })),
    );
    expect(creates.filter((r) => r.body.stat === 'ok'), creates.map((r) => r.text).join('\n')).toHaveLength(1);
    for (const r of creates.filter((x) => x.body.stat !== 'ok')) expectRegError(r, 413);
    let made = 0;
    for (let i = 0; i < 6; i++) if ((await call('/entity', { type_name: 'user', key_attribute: 'email', key_value: json(`race${i}@example.com`) })).body.stat === 'ok') made += 1;
    expect(made).toBe(1);

    const verification = remember((await ok('/access/getVerificationCode', { type_name: 'user', uuid: jo.uuid, attribute_name: 'emailVerified' })).body.verification_code);
    const uses = await Promise.all(Array.from({ length: 6 }, () => reg(t, '/access/useVerificationCode', { verification_code: verification })));
    expect(uses.filter((r) => r.body.stat === 'ok')).toHaveLength(1);
  });

  it('a token stops working when its API client is deleted, and keeps working when the client loses its features', async () => {
    const kim = await newUser('kim');
    const doomed = await addClient(t, owner, ['login_client'], 'deleted later');
    const changed = await addClient(t, owner, ['direct_access'], 'features removed later');
    const forDoomed = await accessToken(kim.uuid, { for_client_id: doomed.clientId });
    const forChanged = await accessToken(kim.uuid, { for_client_id: changed.clientId });
    expect((await readAsUser(forDoomed)).uuid).toBe(kim.uuid);
    expectOk(await call('/clients/delete', { client_id_for_deletion: doomed.clientId }));
    expectOk(await call('/clients/set_features', { for_client_id: changed.clientId, features: '[]' }));
    expectRegError(await asUser('/entity', {}, forDoomed), 413);
    expect((await readAsUser(forChanged)).uuid).toBe(kim.uuid);
  });

  // -------------------------------------------------------------------------------------------
  // Permissions

  it('/access/*: owner, access_issuer and direct_access may issue; direct_read_access, login_client and none may not', async () => {
    const gus = await newUser('gus');
    const ops: [string, Record<string, string>, string][] = [
      ['/access/getAccessToken', { type_name: 'user', uuid: gus.uuid }, 'accessToken'],
      ['/access/getAuthorizationCode', { type_name: 'user', uuid: gus.uuid, redirect_uri: REDIRECT }, 'authorizationCode'],
      ['/access/getCreationToken', { type_name: 'user' }, 'creation_token'],
      ['/access/getVerificationCode', { type_name: 'user', uuid: gus.uuid, attribute_name: 'emailVerified' }, 'verification_code'],
    ];
    const allowed = new Set(['owner', 'access_issuer', 'direct_access']);
    for (const [path, params, key] of ops) {
      for (const [feature, creds] of clients) {
        const res = await call(path, params, creds);
        if (allowed.has(feature)) {
          expectOk(res);
          remember(res.body[key]);
        } else {
          expectRegError(res, 403);
          expect(res.body.error).toBe('client_permission_error');
        }
      }
    }
    // A user token is not a credential for issuing anything (not even for its own record).
    const token = await accessToken(gus.uuid);
    for (const [path, params] of ops) expectRegError(await asUser(path, params, token), 403);
  });

  it('/oauth/token: owner, access_issuer, direct_access and login_client may exchange their codes; the others may not', async () => {
    const hal = await newUser('hal');
    const allowed = new Set(['owner', 'access_issuer', 'direct_access', 'login_client']);
    for (const [feature, creds] of clients) {
      const res = await exchange(await authCode(hal.uuid, creds), creds);
      if (allowed.has(feature)) {
        expect(res.status, `${feature}: ${res.text}`).toBe(200);
        expect((await readAsUser(res.body.access_token as string)).uuid).toBe(hal.uuid);
      } else {
        expect(res.body, `${feature}: ${res.text}`).toMatchObject({ stat: 'error', code: 403 });
        // Authenticated but not allowed: an OAuth error status, not a Registration 200.
        expect([400, 401, 403], res.text).toContain(res.status);
      }
    }
  });

  // -------------------------------------------------------------------------------------------
  // Seed 000: a user's token reaches that user's record and no other

  it("a token for Bob never reads, updates, replaces or deletes Mary's record, whatever selector is given", async () => {
    const bob = await newUser('bob000', { familyName: 'B' });
    const mary = await newUser('mary000', { familyName: 'M' });
    const maryToken = await accessToken(mary.uuid);
    const bobToken = await accessToken(bob.uuid);
    const marySelectors: Record<string, string>[] = [{ uuid: mary.uuid }, { id: String(mary.id) }, { key_attribute: 'email', key_value: json(mary.email) }, { type_name: 'user', uuid: mary.uuid }];
    const maryBefore = await readAsOwner(mary.id);

    for (const selector of marySelectors) {
      const seen = await readAsUser(bobToken, selector);
      expect(seen.uuid, json(selector)).toBe(bob.uuid);
      expect(JSON.stringify(seen)).not.toContain(mary.email);
      const one = await asUser('/entity', { ...selector, attribute_name: 'email' }, bobToken);
      expectOk(one);
      expect(one.body.result).toBe(bob.email);
    }
    for (const [i, selector] of marySelectors.entries()) {
      expectOk(await asUser('/entity.update', { ...selector, attributes: json({ familyName: `Hacked${i}` }) }, bobToken));
    }
    expectOk(await asUser('/entity.replace', { uuid: mary.uuid, attributes: json({ email: bob.email, givenName: 'Replaced' }) }, bobToken));
    expect(await readAsOwner(mary.id)).toEqual(maryBefore);
    expect(await readAsOwner(bob.id)).toMatchObject({ givenName: 'Replaced', familyName: null, email: bob.email });

    // deleteAccess with Mary's uuid ends Bob's sessions, not Mary's.
    const bobToken2 = await accessToken(bob.uuid);
    expectOk(await asUser('/entity.deleteAccess', { type_name: 'user', uuid: mary.uuid }, bobToken2));
    expectRegError(await asUser('/entity', {}, bobToken2), 413);
    expect((await readAsUser(maryToken)).uuid).toBe(mary.uuid);

    // Operations a token may not call at all, whatever they would name.
    const bobToken3 = await accessToken(bob.uuid);
    const refused: [string, Record<string, string>][] = [
      ['/entityType.getAccessSchema', { type_name: 'user', access_type: 'read' }],
      ['/entityType.rules', { type_name: 'user' }],
      ['/entity.create', { type_name: 'user', attributes: json({ givenName: 'x' }) }],
      ['/access/getAccessToken', { type_name: 'user', uuid: mary.uuid }],
      ['/entityType.list', {}],
      ['/entityType.setAccessSchema', { type_name: 'user', for_client_id: owner.clientId, access_type: 'read', attributes: '[]' }],
      ['/clients/list', {}],
    ];
    for (const [path, params] of refused) expectRegError(await asUser(path, params, bobToken3), 403);

    // entity.delete with Mary's uuid deletes Bob's record (the token's own), never Mary's.
    expectOk(await asUser('/entity.delete', { type_name: 'user', uuid: mary.uuid }, bobToken3));
    expectRegError(await call('/entity', { type_name: 'user', id: String(bob.id) }), 310);
    expect(await readAsOwner(mary.id)).toEqual(maryBefore);
    expectRegError(await asUser('/entity', { uuid: mary.uuid }, bobToken3), 413);
    expect((await readAsUser(maryToken)).email).toBe(mary.email);
  });

  it('another application cannot issue, use or exchange tokens for this application\'s records', async () => {
    const lee = await newUser('lee');
    const other = await addApplicationWithOwner(t);
    const otherCall = (path: string, params: Record<string, string>): Promise<RegResult> => reg(t, path, params, { auth: basic(other.owner) });
    // Its own `user` type has nothing of ours.
    expectOk(await otherCall('/entityType.create', { type_name: 'user', attr_defs: json([{ name: 'email', type: 'string' }]) }));
    expectRegError(await otherCall('/access/getAccessToken', { type_name: 'user', uuid: lee.uuid }), 310);
    expectRegError(await otherCall('/access/getAccessToken', { type_name: 'user', id: String(lee.id) }), 310);
    expectRegError(await otherCall('/access/getAuthorizationCode', { type_name: 'user', uuid: lee.uuid, redirect_uri: REDIRECT }), 310);
    expectRegError(await otherCall('/entity.deleteAccess', { type_name: 'user', uuid: lee.uuid }), 310);
    // It cannot issue for our clients, nor exchange our codes.
    const otherRecord = await otherCall('/entity.create', { type_name: 'user', attributes: json({ email: 'other@example.com' }) });
    expectOk(otherRecord);
    expectRegError(await otherCall('/access/getAccessToken', { type_name: 'user', uuid: otherRecord.body.uuid as string, for_client_id: owner.clientId }), 200, 'for_client_id');
    const ours = await authCode(lee.uuid, owner);
    expectOAuthError(await exchange(ours, other.owner), 413);
    // A token of ours reads our record only, whatever it names.
    const token = await accessToken(lee.uuid);
    expect((await readAsUser(token, { uuid: otherRecord.body.uuid as string })).uuid).toBe(lee.uuid);
  });

  // -------------------------------------------------------------------------------------------
  // Logs

  it('tokens and codes sent in URL query strings are accepted', async () => {
    const ivy = await newUser('ivy');
    const login = client('login_client');
    const q = (path: string, params: Record<string, string>, auth: Auth = noAuth): Promise<RegResult> => reg(t, path, params, { auth, method: 'GET', encoding: 'query' });

    const access = await accessToken(ivy.uuid);
    expectOk(await q('/entity', { access_token: access }));
    const code = await authCode(ivy.uuid, login);
    const exchanged = await q('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, basic(login));
    expect(exchanged.status, exchanged.text).toBe(200);
    remember(exchanged.body.access_token);
    remember(exchanged.body.refresh_token);
    const refreshed = await q('/oauth/token', { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token as string }, basic(login));
    expect(refreshed.status, refreshed.text).toBe(200);
    remember(refreshed.body.access_token);
    remember(refreshed.body.refresh_token);
    const verification = remember((await ok('/access/getVerificationCode', { type_name: 'user', uuid: ivy.uuid, attribute_name: 'emailVerified' })).body.verification_code);
    expectOk(await q('/access/useVerificationCode', { verification_code: verification }));
    const creation = remember((await ok('/access/getCreationToken', { type_name: 'user' })).body.creation_token);
    expectOk(await q('/entity.create', { type_name: 'user', creation_token: creation, attributes: json({ givenName: 'fromQuery' }) }));
  });

  it('no token or code ever appears in the server log', () => {
    expect(issued.size).toBeGreaterThan(40);
    const log = t.logLines.join('\n');
    expect(log.length).toBeGreaterThan(0);
    const leaked = [...issued].filter((token) => log.includes(token));
    const where = leaked.map((token) => t.logLines.find((l) => l.includes(token)) ?? '');
    expect(where, 'log lines carrying a token').toEqual([]);
  });
});
