// `idcloud hosted-login …`: get a configuration token, and list or create token policies, login
// policies and OIDC clients, straight on the database through the services the API uses.
import { parseLoginPolicyBody } from '../domain/login-policy.js';
import { parseOidcClientBody } from '../domain/oidc-client.js';
import { PolicyBodyError } from '../domain/config-body.js';
import { parseTokenPolicyBody } from '../domain/token-policy.js';
import type { SecretBox } from '../security/secret-box.js';
import { ApiClientDirectory } from '../services/api-client-directory.js';
import { ConfigAccess } from '../services/config-access.js';
import { EntityTypeDirectory } from '../services/entity-type-directory.js';
import { ConfigRefused, HostedLoginConfigService, TokenRequestRefused } from '../services/hosted-login-config.js';
import { loginPolicyBody, LoginPolicyService } from '../services/login-policies.js';
import { oidcClientBody, OidcClientService, oidcClientSettingRule } from '../services/oidc-clients.js';
import { SettingsService } from '../services/settings.js';
import type { Store } from '../store/database.js';
import { listApplications } from '../store/repositories/tenancy.js';
import { CommandError } from './import-export.js';

export const HOSTED_LOGIN_KINDS = ['token-policies', 'login-policies', 'clients'] as const;
type Kind = (typeof HOSTED_LOGIN_KINDS)[number];

export interface HostedLoginArgs {
  action: string;
  kind?: string | undefined;
  customer?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  scope?: string | undefined;
  json?: string | undefined;
}

const SINGULAR: Record<string, Kind> = { 'token-policy': 'token-policies', 'login-policy': 'login-policies', client: 'clients' };

async function customerOf(store: Store, given: string | undefined): Promise<string> {
  const customers = [...new Set((await listApplications(store.db)).map((a) => a.customer_id))];
  if (given !== undefined) {
    if (!customers.includes(given)) throw new CommandError(`no customer ${given}; there are: ${customers.join(', ')}`);
    return given;
  }
  if (customers.length !== 1) throw new CommandError(`--customer is needed: this database has the customers ${customers.join(', ')}`);
  return customers[0] ?? '';
}

/** Runs one hosted-login command; each answer is printed as JSON lines by `print`. */
export async function hostedLoginCommand(store: Store, secretBox: SecretBox, args: HostedLoginArgs, print: (value: unknown) => void): Promise<void> {
  const settings = new SettingsService({ store });
  settings.addRule(oidcClientSettingRule());
  const ctx = { store, secretBox, settings, clients: new ApiClientDirectory(store, secretBox), entityTypes: new EntityTypeDirectory(store), configAccess: new ConfigAccess(store, secretBox) };
  const tokens = new HostedLoginConfigService(ctx);
  const customerId = await customerOf(store, args.customer);
  const actor = { customerId, clientId: 'idcloud-cli', address: 'cli' };
  try {
    if (args.action === 'token') {
      if (!args.clientId || !args.clientSecret) throw new CommandError('token needs --client-id and the secret (--client-secret or IDCLOUD_CONFIG_CLIENT_SECRET) of a configuration client');
      const issued = await tokens.issueToken(customerId, args.clientId, args.clientSecret, args.scope ?? '*:**');
      print({ access_token: issued.accessToken, expires_in: issued.expiresIn, token_type: 'Bearer', scope: issued.granted.join(' '), ...(issued.warnings.length > 0 ? { warnings: issued.warnings } : {}) });
      return;
    }
    const kind = args.action === 'create' ? SINGULAR[args.kind ?? ''] : (HOSTED_LOGIN_KINDS as readonly string[]).includes(args.kind ?? '') ? (args.kind as Kind) : undefined;
    if (!kind) throw new CommandError(`${args.action} needs what: ${args.action === 'create' ? Object.keys(SINGULAR).join(', ') : HOSTED_LOGIN_KINDS.join(', ')}`);
    const logins = new LoginPolicyService(ctx);
    const clients = new OidcClientService(ctx);
    if (args.action === 'list') {
      if (kind === 'token-policies') for (const p of await tokens.listTokenPolicies(customerId)) print({ id: p.id, title: p.title, accessTokenLifetime: p.accessTokenLifetime, allowedScopes: p.allowedScopes });
      if (kind === 'login-policies') for (const p of await logins.list(customerId)) print(loginPolicyBody(p));
      if (kind === 'clients') for (const c of await clients.list(customerId)) print(oidcClientBody(c, await clients.applicationOf(c)));
      return;
    }
    if (args.action !== 'create') throw new CommandError(`unknown hosted-login action ${JSON.stringify(args.action)}: token, list or create`);
    let body: unknown;
    try {
      body = JSON.parse(args.json ?? '') as unknown;
    } catch {
      throw new CommandError('create needs --json with the object, e.g. --json \'{"title":"support","allowedScopes":[".:config/**"]}\'');
    }
    if (kind === 'token-policies') {
      const p = await tokens.createTokenPolicy(actor, parseTokenPolicyBody(body));
      print({ id: p.id, title: p.title, accessTokenLifetime: p.accessTokenLifetime, refreshTokenLifetime: p.refreshTokenLifetime, allowedScopes: p.allowedScopes });
    } else if (kind === 'login-policies') {
      print(loginPolicyBody(await logins.create(actor, parseLoginPolicyBody(body))));
    } else {
      const { client, secret, applicationId } = await clients.create(actor, parseOidcClientBody(body));
      print({ ...oidcClientBody(client, applicationId), ...(secret === null ? {} : { secret }) });
    }
  } catch (err) {
    if (err instanceof ConfigRefused) throw new CommandError(err.errors.trim());
    if (err instanceof PolicyBodyError) throw new CommandError(err.message);
    if (err instanceof TokenRequestRefused) throw new CommandError(`${err.error}: ${err.description}`);
    throw err;
  }
}
