import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  effectiveSettings,
  emptyDocument,
  hostedLoginStatus,
  normalizeDocument,
  resolveSetting,
  SETTING_CATALOGUE,
  settingDefinition,
  SettingsDocumentError,
  type SettingsDocument,
  type SettingValue,
} from '../../src/domain/settings.js';

const doc = (standard: Record<string, SettingValue> = {}, custom: Record<string, SettingValue> = {}): SettingsDocument => ({ standard, custom });

/** What a GET shows of a stored document: the standard keys, and the custom block. */
const render = (d: SettingsDocument): Record<string, unknown> => ({ ...d.standard, custom: d.custom });

// Seed 002's full client settings example.
const SEED_BODY = {
  custom: {
    janrainOidcClientId: '7de8f0e4-5112-4e67-9cf7-a735050e965b',
    'theming.stylesheet': 'https://documentation.akamai.com/custom-styles.css',
    'theming.logoURL': 'https://documentation.akamai.com/images/logo.svg',
    'theming.faviconURL': 'https://documentation.akamai.com/images/favicon.svg',
  },
  user_entity_type: 'user',
  default_flow_name: 'standard',
  default_flow_version: '20190405205553900000',
  rpx_key: '677fte5gftyoag56sd30sw2up572ec252cd3afnj',
  rpx_realm: 'documentation-login',
  rpx_id: 'fdbppnbjfcbbijkmifkl',
};

describe('resolution (seed 002 inheritance table)', () => {
  it.each([
    ['user', undefined, 'user'],
    [undefined, 'test', 'test'],
    ['user', 'user', 'user'],
    ['user', 'test', 'test'],
  ] as const)('global %s, client %s -> %s', (global, client, used) => {
    const application = global === undefined ? doc() : doc({ user_entity_type: global });
    const own = client === undefined ? doc() : doc({ user_entity_type: client });
    expect(resolveSetting('user_entity_type', own, application).value).toBe(used);
  });

  it('is null when neither scope sets it', () => {
    expect(resolveSetting('site_name', doc(), doc())).toEqual({ value: null, source: null });
  });

  it('does not inherit a setting that cannot be inherited', () => {
    const application = doc({ password_reset_url: 'https://example.test/reset' }, { janrainOidcClientId: 'abc' });
    expect(resolveSetting('password_reset_url', doc(), application).value).toBeNull();
    expect(resolveSetting('janrainOidcClientId', doc(), application).value).toBeNull();
  });

  it('lets custom settings inherit, and client values win in the merged view', () => {
    const application = doc({ site_name: 'Global' }, { 'theming.logoURL': 'g.svg', extra: 1 });
    const client = doc({}, { extra: 2 });
    expect(effectiveSettings(client, application)).toEqual({ site_name: 'Global', 'theming.logoURL': 'g.svg', extra: 2 });
  });
});

describe('normalizing a PUT body', () => {
  it('keeps seed 002’s client document: standard keys and the custom block', () => {
    const { document, warnings } = normalizeDocument(SEED_BODY, 'client');
    expect(warnings).toEqual([]);
    expect(document.custom).toEqual(SEED_BODY.custom);
    expect(Object.keys(document.standard).sort()).toEqual(['default_flow_name', 'default_flow_version', 'rpx_id', 'rpx_key', 'rpx_realm', 'user_entity_type']);
  });

  it('drops custom settings sent outside "custom", with a warning each (the forgotten-custom case)', () => {
    const body = { ...SEED_BODY.custom, user_entity_type: 'user' };
    const { document, warnings } = normalizeDocument(body, 'client');
    expect(document).toEqual(doc({ user_entity_type: 'user' }));
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toContain('janrainOidcClientId');
    expect(warnings.every((w) => /inside "custom"/.test(w))).toBe(true);
  });

  it('replaces: a body with one setting is the whole new document (the replace-with-one-setting case)', () => {
    const { document } = normalizeDocument({ password_reset_url: 'https://documentation.akamai.com/reset-password' }, 'client');
    expect(document).toEqual(doc({ password_reset_url: 'https://documentation.akamai.com/reset-password' }));
  });

  it('deletes a setting left out of the body', () => {
    const before = normalizeDocument({ ...SEED_BODY, password_reset_url: 'https://x.test/r' }, 'client').document;
    const after = normalizeDocument(SEED_BODY, 'client').document;
    expect(Object.hasOwn(before.standard, 'password_reset_url')).toBe(true);
    expect(Object.hasOwn(after.standard, 'password_reset_url')).toBe(false);
  });

  it('drops global-only settings at client scope but keeps them for the application', () => {
    expect(normalizeDocument({ user_distinguisher_field: 'email' }, 'client')).toEqual({
      document: emptyDocument(),
      warnings: [expect.stringMatching(/whole application/) as unknown as string],
    });
    expect(normalizeDocument({ user_distinguisher_field: 'email' }, 'application').document.standard).toEqual({ user_distinguisher_field: 'email' });
  });

  it('refuses values of the wrong type for typed settings, and bodies that are not objects', () => {
    expect(() => normalizeDocument({ login_attempts: 'many' }, 'client')).toThrow(SettingsDocumentError);
    expect(() => normalizeDocument({ site_name: 5 }, 'client')).toThrow(/site_name must be a string/);
    expect(() => normalizeDocument({ custom: { janrainOidcClientId: 7 } }, 'client')).toThrow(/janrainOidcClientId/);
    expect(() => normalizeDocument({ custom: [] }, 'client')).toThrow(/custom must be a JSON object/);
    for (const body of [null, [], 'x', 3]) expect(() => normalizeDocument(body, 'client')).toThrow(SettingsDocumentError);
    expect(normalizeDocument({ login_attempts: '5', recover_code_lifetime: 600 }, 'client').warnings).toEqual([]);
  });

  it('ignores read-only keys a client echoes back from a GET', () => {
    expect(normalizeDocument({ _self: '/config/a/clients/b/settings', site_name: 'x' }, 'client')).toEqual({ document: doc({ site_name: 'x' }), warnings: [] });
  });
});

describe('Hosted Login completeness', () => {
  it('names what a client lacks, and is complete with seed 002’s settings plus password_reset_url', () => {
    const empty = hostedLoginStatus(doc(), doc());
    expect(empty.complete).toBe(false);
    expect(empty.missing.sort()).toEqual(['default_flow_name', 'default_flow_version', 'janrainOidcClientId', 'password_reset_url', 'user_entity_type']);
    const client = normalizeDocument({ ...SEED_BODY, password_reset_url: 'https://x.test/reset' }, 'client').document;
    expect(hostedLoginStatus(client, doc())).toEqual({ complete: true, missing: [] });
  });

  it('counts inherited values for settings that can be inherited, not for the others', () => {
    const application = doc({ user_entity_type: 'user', default_flow_name: 'standard', default_flow_version: '1', password_reset_url: 'https://x.test' }, { janrainOidcClientId: 'x' });
    expect(hostedLoginStatus(doc(), application).missing.sort()).toEqual(['janrainOidcClientId', 'password_reset_url']);
  });
});

describe('catalogue', () => {
  it('has unique names, each found by settingDefinition', () => {
    const names = SETTING_CATALOGUE.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(settingDefinition(name)?.name).toBe(name);
    expect(settingDefinition('not_a_setting')).toBeUndefined();
    expect(settingDefinition('member_distinguisher_field')?.globalOnly).toBe(true);
  });
});

// Properties
const settingName = fc.oneof(fc.constantFrom(...SETTING_CATALOGUE.map((d) => d.name)), fc.string({ minLength: 1, maxLength: 12 }));
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
const documentArb = fc.record({
  standard: fc.dictionary(settingName, scalar, { maxKeys: 6 }),
  custom: fc.dictionary(settingName, scalar, { maxKeys: 6 }),
});

describe('properties', () => {
  it('resolution never returns a value set at neither scope', () => {
    fc.assert(
      fc.property(settingName, documentArb, documentArb, (name, client, application) => {
        const { value, source } = resolveSetting(name, client, application);
        if (source === null) expect(value).toBeNull();
        else {
          const scope = source === 'client' ? client : application;
          const stored = Object.hasOwn(scope.standard, name) ? scope.standard[name] : scope.custom[name];
          expect(value).toBe(stored);
        }
      }),
    );
  });

  it('a PUT followed by a GET returns exactly the document put, minus the dropped keys', () => {
    const body = fc.dictionary(settingName, fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)), { maxKeys: 8 });
    fc.assert(
      fc.property(body, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), scalar, { maxKeys: 4 }), fc.constantFrom('client' as const, 'application' as const), (top, custom, scope) => {
        let stored: SettingsDocument;
        try {
          stored = normalizeDocument({ ...top, custom }, scope).document;
        } catch (err) {
          expect(err).toBeInstanceOf(SettingsDocumentError);
          return;
        }
        // Everything kept came from the body, unchanged; the rendered document normalizes to itself.
        for (const [k, v] of Object.entries(stored.standard)) expect(top[k]).toBe(v);
        expect(stored.custom).toEqual(custom);
        expect(normalizeDocument(render(stored), scope)).toEqual({ document: stored, warnings: [] });
      }),
    );
  });

  it('normalizing never throws anything but SettingsDocumentError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          normalizeDocument(value, 'client');
        } catch (err) {
          expect(err).toBeInstanceOf(SettingsDocumentError);
        }
      }),
    );
  });
});
