// API-client settings (seed 002, spec capture-api §7–§8), without I/O: the catalogue of standard
// settings, how a client's effective value is resolved from the client and application ("global")
// scopes, the `custom` block, and what a PUT of a whole settings document keeps and drops.

export type SettingType = 'string' | 'integer' | 'boolean' | 'json';

export const SETTING_GROUPS = ['General Settings', 'Customer Care Portal', 'Social Login', 'Transactional Emails', 'Backplane', 'Hosted Login'] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

export interface SettingDefinition {
  name: string;
  type: SettingType;
  group: SettingGroup;
  /** Only meaningful at the application scope; ignored (with a warning) at client scope. */
  globalOnly: boolean;
  /** A client without its own value takes the application's (seed 002 "Can Inherit"). */
  canInherit: boolean;
  /** Required of a Hosted Login API client (seed 002 "Required"). */
  hostedLoginRequired: boolean;
  /** Lives in the `custom` block rather than among the standard keys (seed 002's highlighted rows). */
  custom: boolean;
  description: string;
}

const def = (
  name: string,
  type: SettingType,
  group: SettingGroup,
  description: string,
  flags: Partial<Pick<SettingDefinition, 'globalOnly' | 'canInherit' | 'hostedLoginRequired' | 'custom'>> = {},
): SettingDefinition => ({ name, type, group, description, globalOnly: false, canInherit: true, hostedLoginRequired: false, custom: false, ...flags });

/**
 * Standard settings: the well-known keys of spec §7 and the Hosted Login settings of seed 002. The
 * Hosted Login settings seed 002 shows inside `custom` (janrainOidcClientId, theming.*) are custom here
 * too. Values are stored as given; `type` says what a typed check accepts (strings of digits count as
 * integers, "true"/"false" as booleans, since the legacy API stores strings).
 */
export const SETTING_CATALOGUE: readonly SettingDefinition[] = [
  def('site_name', 'string', 'General Settings', 'Name of the site, used in emails and pages'),
  def('default_flow_name', 'string', 'General Settings', 'Flow used by this client', { hostedLoginRequired: true }),
  def('default_flow_version', 'string', 'General Settings', 'Version of that flow', { hostedLoginRequired: true }),
  def('user_entity_type', 'string', 'General Settings', 'Entity type that stores this client’s users', { hostedLoginRequired: true }),
  def('login_attempts', 'integer', 'General Settings', 'Failed sign-ins allowed before the wait starts'),
  def('login_attempts_threshold', 'integer', 'General Settings', 'Seconds to wait after too many failed sign-ins'),
  def('password_recover_url', 'string', 'Transactional Emails', 'Page that password-recovery emails link to'),
  def('recover_code_lifetime', 'integer', 'Transactional Emails', 'Seconds a password-recovery code stays valid'),
  def('verify_email_code_lifetime', 'integer', 'Transactional Emails', 'Seconds an email-verification code stays valid'),
  def('email_method', 'string', 'Transactional Emails', 'How transactional emails are sent'),
  def('regex_standard_newPassword', 'string', 'Hosted Login', 'Regular expression new passwords must match'),
  def('authentication.providers', 'json', 'Social Login', 'Identity providers offered on Hosted Login pages (absent: all; [] : none)'),
  def('rpx_app_id', 'string', 'Social Login', 'Social Login application id'),
  def('rpx_id', 'string', 'Social Login', 'Social Login application id (Hosted Login spelling)'),
  def('rpx_key', 'string', 'Social Login', 'Social Login API key'),
  def('rpx_realm', 'string', 'Social Login', 'Social Login application domain'),
  def('ccp_flow_name', 'string', 'Customer Care Portal', 'Flow used by the Customer Care Portal'),
  def('ccp_flow_version', 'string', 'Customer Care Portal', 'Version of that flow'),
  def('password_reset_url', 'string', 'Customer Care Portal', 'URL an agent uses to start a password reset', { canInherit: false, hostedLoginRequired: true }),
  def('backplane_server', 'string', 'Backplane', 'Backplane server URL'),
  def('backplane_bus', 'string', 'Backplane', 'Backplane bus name'),
  def('user_distinguisher_field', 'string', 'General Settings', 'Attribute that tells users of the `user` entity type apart', { globalOnly: true }),
  def('janrainOidcClientId', 'string', 'Hosted Login', 'The OIDC client this API client belongs to (one to one)', { canInherit: false, hostedLoginRequired: true, custom: true }),
  def('theming.stylesheetURL', 'string', 'Hosted Login', 'Stylesheet of the Hosted Login pages', { custom: true }),
  def('theming.logoURL', 'string', 'Hosted Login', 'Logo on the Hosted Login pages', { custom: true }),
  def('theming.faviconURL', 'string', 'Hosted Login', 'Favicon of the Hosted Login pages', { custom: true }),
];

const BY_NAME: ReadonlyMap<string, SettingDefinition> = new Map(SETTING_CATALOGUE.map((d) => [d.name, d]));

/** Names that would reach an object's prototype instead of a property: never a setting. */
export const FORBIDDEN_SETTING_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** `{entity_type}_distinguisher_field` is standard and global-only for any entity type (spec §7). */
const DISTINGUISHER = /^[A-Za-z_][A-Za-z0-9_]*_distinguisher_field$/;

export function settingDefinition(name: string): SettingDefinition | undefined {
  const known = BY_NAME.get(name);
  if (known) return known;
  if (DISTINGUISHER.test(name)) return def(name, 'string', 'General Settings', 'Attribute that tells users of that entity type apart', { globalOnly: true });
  return undefined;
}

export type SettingValue = string | number | boolean | null | SettingValue[] | { [key: string]: SettingValue };

/** A stored settings document of one scope: standard keys, and custom ones kept apart. */
export interface SettingsDocument {
  standard: Record<string, SettingValue>;
  custom: Record<string, SettingValue>;
}

export const emptyDocument = (): SettingsDocument => ({ standard: {}, custom: {} });

export type SettingScope = 'application' | 'client';

export interface NormalizedDocument {
  document: SettingsDocument;
  /** Keys that were dropped, each with the reason (the "say what was ignored" decision). */
  warnings: string[];
}

/** Why a settings document cannot be stored at all. */
export class SettingsDocumentError extends Error {
  override name = 'SettingsDocumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function typeProblem(definition: SettingDefinition, value: unknown): string | null {
  if (value === null) return null;
  switch (definition.type) {
    case 'string':
      return typeof value === 'string' ? null : `${definition.name} must be a string`;
    case 'integer':
      return (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) ? null : `${definition.name} must be an integer`;
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? null : `${definition.name} must be true or false`;
    case 'json':
      return null;
  }
}

/**
 * What a PUT of `body` at `scope` stores: known standard keys (type-checked), the `custom` block (kept
 * as given, custom catalogue entries type-checked), and nothing else. A PUT replaces: anything not in
 * the result is deleted. Unknown non-custom keys and global-only keys at client scope are dropped with
 * a warning, keeping the original's success answer (seed 002's "forgotten custom" case).
 */
export function normalizeDocument(body: unknown, scope: SettingScope): NormalizedDocument {
  if (!isPlainObject(body)) throw new SettingsDocumentError('settings', 'the settings document must be a JSON object');
  const document = emptyDocument();
  const warnings: string[] = [];
  for (const key of Object.keys(body)) if (FORBIDDEN_SETTING_NAMES.has(key)) throw new SettingsDocumentError(key, `${key} cannot be a setting name`);
  for (const [key, value] of Object.entries(body)) {
    if (key === 'custom') continue;
    if (key.startsWith('_')) continue; // `_self` and the like, echoed back by clients that GET then PUT
    const definition = settingDefinition(key);
    if (!definition || definition.custom) {
      warnings.push(
        definition?.custom
          ? `${key} is a custom setting and was ignored: put it inside "custom"`
          : `${key} is not a standard setting and was ignored: custom settings belong inside "custom"`,
      );
      continue;
    }
    if (scope === 'client' && definition.globalOnly) {
      warnings.push(`${key} can only be set for the whole application and was ignored at client scope`);
      continue;
    }
    const problem = typeProblem(definition, value);
    if (problem) throw new SettingsDocumentError(key, problem);
    document.standard[key] = value as SettingValue;
  }
  const custom = body.custom;
  if (custom !== undefined && custom !== null) {
    if (!isPlainObject(custom)) throw new SettingsDocumentError('custom', 'custom must be a JSON object');
    for (const [key, value] of Object.entries(custom)) {
      if (FORBIDDEN_SETTING_NAMES.has(key)) throw new SettingsDocumentError(`custom.${key}`, `${key} cannot be a setting name`);
      const definition = BY_NAME.get(key);
      const problem = definition?.custom ? typeProblem(definition, value) : null;
      if (problem) throw new SettingsDocumentError(`custom.${key}`, problem);
      document.custom[key] = value as SettingValue;
    }
  }
  return { document, warnings };
}

export type SettingSource = 'client' | 'application' | null;

export interface ResolvedSetting {
  value: SettingValue;
  source: SettingSource;
}

function lookup(doc: SettingsDocument, name: string): SettingValue | undefined {
  if (Object.hasOwn(doc.standard, name)) return doc.standard[name];
  if (Object.hasOwn(doc.custom, name)) return doc.custom[name];
  return undefined;
}

/**
 * A client's effective value: its own if set; else the application's, where the setting may be
 * inherited (unknown keys may); else null.
 */
export function resolveSetting(name: string, client: SettingsDocument, application: SettingsDocument): ResolvedSetting {
  const own = lookup(client, name);
  if (own !== undefined) return { value: own, source: 'client' };
  const definition = settingDefinition(name);
  const inherited = definition === undefined || definition.canInherit ? lookup(application, name) : undefined;
  return inherited !== undefined ? { value: inherited, source: 'application' } : { value: null, source: null };
}

/** Every effective setting of a client, merged: client values win (spec §7 `settings/items`). */
export function effectiveSettings(client: SettingsDocument, application: SettingsDocument): Record<string, SettingValue> {
  const names = new Set([...Object.keys(application.standard), ...Object.keys(application.custom), ...Object.keys(client.standard), ...Object.keys(client.custom)]);
  const out: Record<string, SettingValue> = {};
  for (const name of names) {
    const { source, value } = resolveSetting(name, client, application);
    if (source !== null) out[name] = value;
  }
  return out;
}

export interface HostedLoginStatus {
  /** True when every setting a Hosted Login API client needs resolves to a value. */
  complete: boolean;
  missing: string[];
}

/** Whether a client is a complete Hosted Login API client (seed 002's "Required" column). */
export function hostedLoginStatus(client: SettingsDocument, application: SettingsDocument): HostedLoginStatus {
  const missing = SETTING_CATALOGUE.filter((d) => d.hostedLoginRequired)
    .filter((d) => {
      const { value } = resolveSetting(d.name, client, application);
      return value === null || value === '';
    })
    .map((d) => d.name);
  return { complete: missing.length === 0, missing };
}
