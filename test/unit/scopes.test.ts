// Configuration token scopes: every example of seed 004, the grammar's refusals, and the properties
// that keep least privilege safe (a deny never widens, a grant never narrows, order never matters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { covers, parseScope, parseScopeList, ScopeSet, ScopeSyntaxError } from '../../src/domain/scopes.js';

const POLICY = '8cdb3f99-ceee-403d-a01d-daf392e18350';
const OTHER = '5cb723fd-8e0b-4b7a-9a56-0a4d5c1e2f33';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const token = (scopes: string): ScopeSet => new ScopeSet(parseScopeList(scopes));
/** The methods a token allows on a path, for compact assertions. */
const methodsOn = (t: ScopeSet, path: string): string[] => METHODS.filter((m) => t.allows(m, path));

describe('seed 004: scopes of configuration tokens', () => {
  it('*:** grants everything, configuration and webhooks alike', () => {
    const t = token('*:**');
    for (const path of ['config/clients', `config/tokenPolicies/${POLICY}`, 'config/loginPolicies', 'webhooks/subscriptions', 'webhooks/events', 'config/v3/policies/sessions-default']) {
      expect(methodsOn(t, path)).toEqual([...METHODS]);
    }
  });

  it('*:config/** covers the configuration APIs only; *:webhooks/** the webhooks only, not their configuration client or token policy', () => {
    const config = token('*:config/**');
    expect(methodsOn(config, 'config/tokenPolicies')).toEqual([...METHODS]);
    expect(config.allows('GET', 'webhooks/subscriptions')).toBe(false);
    const hooks = token('*:webhooks/**');
    expect(hooks.allows('DELETE', `webhooks/subscriptions/${OTHER}`)).toBe(true);
    expect(hooks.allows('GET', 'webhooks/events')).toBe(true);
    expect(hooks.allows('GET', 'config/clients')).toBe(false);
    expect(hooks.allows('GET', 'config/tokenPolicies')).toBe(false);
  });

  it('a namespace scope covers that namespace: subscriptions without events', () => {
    const t = token('*:webhooks/subscriptions');
    expect(t.allows('POST', 'webhooks/subscriptions')).toBe(true);
    expect(t.allows('GET', `webhooks/subscriptions/${OTHER}`)).toBe(true);
    expect(t.allows('GET', 'webhooks/events')).toBe(false);
  });

  it('several scopes combine: token policies, login policies and subscriptions, nothing else', () => {
    const t = token('*:config/tokenPolicies *:config/loginPolicies *:webhooks/subscriptions');
    for (const path of ['config/tokenPolicies', 'config/loginPolicies', 'webhooks/subscriptions']) expect(t.allows('PUT', `${path}/${OTHER}`)).toBe(true);
    expect(t.allows('GET', 'config/clients')).toBe(false);
    expect(t.allows('GET', 'webhooks/events')).toBe(false);
  });

  it('*:config/tokenPolicies alone: the login-policy APIs are refused', () => {
    const t = token('*:config/tokenPolicies');
    expect(t.allows('GET', 'config/tokenPolicies')).toBe(true);
    expect(t.allows('GET', 'config/loginPolicies')).toBe(false);
    expect(t.allows('POST', 'config/loginPolicies')).toBe(false);
  });

  it('full and deny on the same resource: deny wins', () => {
    const t = token('*:config/tokenPolicies -:config/tokenPolicies');
    expect(methodsOn(t, 'config/tokenPolicies')).toEqual([]);
    expect(methodsOn(t, `config/tokenPolicies/${POLICY}`)).toEqual([]);
  });

  it('the table of conflicts: full over mutate over read, deny over everything', () => {
    const on = (scopes: string): string[] => methodsOn(token(scopes), 'config/loginPolicies');
    expect(on('*:config/loginPolicies +:config/loginPolicies')).toEqual([...METHODS]);
    expect(on('*:config/loginPolicies .:config/loginPolicies')).toEqual([...METHODS]);
    expect(on('*:config/loginPolicies -:config/loginPolicies')).toEqual([]);
    // Mutate/activate wins over read: the bearer may create and change (grants combine; reading stays).
    expect(on('+:config/loginPolicies .:config/loginPolicies')).toEqual(expect.arrayContaining(['POST', 'PATCH']));
    expect(on('+:config/loginPolicies -:config/loginPolicies')).toEqual([]);
    expect(on('.:config/loginPolicies -:config/loginPolicies')).toEqual([]);
  });

  it('one item only: that token policy may be read, changed and deleted; no other, no list, no create', () => {
    const t = token(`*:config/tokenPolicies/${POLICY}`);
    expect(methodsOn(t, `config/tokenPolicies/${POLICY}`)).toEqual([...METHODS]);
    expect(t.allows('GET', `config/tokenPolicies/${OTHER}`)).toBe(false);
    expect(t.allows('GET', 'config/tokenPolicies')).toBe(false);
    expect(t.allows('POST', 'config/tokenPolicies')).toBe(false);
  });

  it('read-only: subscriptions can be listed and read, not created', () => {
    const t = token('.:webhooks/subscriptions');
    expect(t.allows('GET', 'webhooks/subscriptions')).toBe(true);
    expect(t.allows('HEAD', `webhooks/subscriptions/${OTHER}`)).toBe(true);
    expect(t.allows('POST', 'webhooks/subscriptions')).toBe(false);
    expect(t.allows('DELETE', `webhooks/subscriptions/${OTHER}`)).toBe(false);
  });

  it('.:** reads everything and creates nothing (creating a login policy fails)', () => {
    const t = token('.:**');
    expect(t.allows('GET', 'config/loginPolicies')).toBe(true);
    expect(t.allows('POST', 'config/loginPolicies')).toBe(false);
  });

  it('mutate/activate: a login policy can be created but not read, replaced or deleted', () => {
    const t = token('+:config/loginPolicies');
    expect(t.allows('POST', 'config/loginPolicies')).toBe(true);
    expect(t.allows('PATCH', `config/loginPolicies/${OTHER}`)).toBe(true);
    expect(t.allows('GET', `config/loginPolicies/${OTHER}`)).toBe(false);
    expect(t.allows('GET', 'config/loginPolicies')).toBe(false);
    expect(t.allows('PUT', `config/loginPolicies/${OTHER}`)).toBe(false);
    expect(t.allows('DELETE', `config/loginPolicies/${OTHER}`)).toBe(false);
  });

  it('deny one item: the list shows the denied policy, a GET of it is refused, others are fine', () => {
    const t = token(`*:config/tokenPolicies -:config/tokenPolicies/${POLICY}`);
    expect(t.allows('GET', 'config/tokenPolicies')).toBe(true);
    expect(methodsOn(t, `config/tokenPolicies/${POLICY}`)).toEqual([]);
    expect(t.allows('GET', `config/tokenPolicies/${OTHER}`)).toBe(true);
    expect(t.allows('POST', 'config/tokenPolicies')).toBe(true);
  });

  it('the session policy: read with ., change with +', () => {
    expect(token('.:config/v3/policies/sessions-default').allows('GET', '/config/v3/policies/sessions-default')).toBe(true);
    expect(token('.:config/v3/policies/sessions-default').allows('PATCH', 'config/v3/policies/sessions-default')).toBe(false);
    expect(token('+:config/v3/policies/sessions-default').allows('PATCH', 'config/v3/policies/sessions-default')).toBe(true);
  });

  it('a token granted no scopes can do nothing', () => {
    const t = token('');
    for (const m of METHODS) expect(t.allows(m, 'config/clients')).toBe(false);
  });

  it('a policy grants a requested scope when one of its scopes covers it', () => {
    // The seed's policy, less `openid` (a login scope, not a configuration scope).
    const allowed = parseScopeList(`+:** .:** *:** *:config/tokenPolicies -:config/tokenPolicies/${POLICY}`);
    const granted = (req: string): boolean => allowed.some((a) => covers(a, parseScope(req)));
    expect(granted('*:config/**')).toBe(true);
    expect(granted('*:config/loginPolicies')).toBe(true);
    const narrow = parseScopeList('*:config/tokenPolicies .:config/**');
    const grantedNarrow = (req: string): boolean => narrow.some((a) => covers(a, parseScope(req)));
    expect(grantedNarrow('*:config/loginPolicies')).toBe(false);
    expect(grantedNarrow('.:config/loginPolicies')).toBe(true);
    expect(grantedNarrow(`*:config/tokenPolicies/${POLICY}`)).toBe(true);
    expect(grantedNarrow('+:config/clients')).toBe(false);
    expect(grantedNarrow('*:**')).toBe(false);
    expect(grantedNarrow('-:config/clients')).toBe(true);
  });
});

describe('scope grammar', () => {
  it('reads every behaviour, wildcards and item ids, and writes them back', () => {
    expect(parseScope('*:config/**')).toEqual({ behaviour: '*', pattern: ['config'], text: '*:config/**' });
    expect(parseScope('.:config/*/abc')).toMatchObject({ behaviour: '.', pattern: ['config', '*', 'abc'] });
    expect(parseScope('-:**')).toMatchObject({ behaviour: '-', pattern: [] });
    expect(parseScopeList('  *:a   .:b/c ').map((s) => s.text)).toEqual(['*:a', '.:b/c']);
  });

  it('refuses malformed scopes naming them', () => {
    for (const bad of ['', 'config/clients', 'x:config', '**:config', '*:', '*:config//x', '*:**/config', '*:config/**/x', '*:config/a b', '*:conf?g', ':config', `*:${'a'.repeat(600)}`]) {
      expect(() => parseScope(bad)).toThrow(ScopeSyntaxError);
    }
    expect(() => parseScope('x:config')).toThrow(/behaviour must be one of/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const SEGMENTS = ['config', 'webhooks', 'clients', 'tokenPolicies', 'loginPolicies', 'subscriptions', POLICY, OTHER];
const segmentArb = fc.constantFrom(...SEGMENTS);
const scopeArb = fc
  .tuple(fc.constantFrom('*', '+', '.', '-'), fc.array(fc.oneof({ weight: 4, arbitrary: segmentArb }, { weight: 1, arbitrary: fc.constant('*') }), { maxLength: 3 }), fc.boolean())
  .map(([b, segs, rest]) => parseScope(`${b}:${segs.length === 0 ? '**' : segs.join('/') + (rest ? '/**' : '')}`));
const grantArb = scopeArb.filter((s) => s.behaviour !== '-');
const denyArb = scopeArb.filter((s) => s.behaviour === '-');
const requestArb = fc.tuple(fc.constantFrom(...METHODS), fc.array(segmentArb, { maxLength: 4 }));

describe('scope properties', () => {
  it('adding a deny never widens access', () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 5 }), denyArb, requestArb, (scopes, deny, [m, path]) => {
        if (new ScopeSet([...scopes, deny]).allows(m, path)) expect(new ScopeSet(scopes).allows(m, path)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('adding a grant never narrows access', () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 5 }), grantArb, requestArb, (scopes, grant, [m, path]) => {
        if (new ScopeSet(scopes).allows(m, path)) expect(new ScopeSet([...scopes, grant]).allows(m, path)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('the order of scopes does not matter', () => {
    fc.assert(
      fc.property(fc.array(scopeArb, { maxLength: 6 }), fc.nat(), requestArb, (scopes, seed, [m, path]) => {
        const shuffled = [...scopes].sort((a, b) => ((a.text.length * 31 + seed) % 7) - ((b.text.length * 31 + seed) % 7));
        expect(new ScopeSet(shuffled).allows(m, path)).toBe(new ScopeSet(scopes).allows(m, path));
      }),
      { numRuns: 3000 },
    );
  });

  it('a covered scope grants nothing its cover does not', () => {
    fc.assert(
      fc.property(grantArb, grantArb, requestArb, (allowed, requested, [m, path]) => {
        if (covers(allowed, requested) && new ScopeSet([requested]).allows(m, path)) expect(new ScopeSet([allowed]).allows(m, path)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('parsing any text gives a scope or the typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseScope(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ScopeSyntaxError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
