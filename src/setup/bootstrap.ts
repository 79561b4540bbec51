// First start: on an empty database, create the customer, the application, the `user` entity type,
// an owner API client and a login API client — all in one transaction — and write their credentials
// once to a 0600 file. The file is written before the commit: if the process dies between the two,
// the database is still empty and the next start simply bootstraps again.
import { chmodSync, mkdirSync, renameSync, writeFileSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { defaultUserAttributes, DEFAULT_ENTITY_TYPE_NAME } from '../domain/schema/default-user-type.js';
import { OPEN_WHITELIST, type Feature } from '../domain/features.js';
import { newApplicationId, newClientId, newClientSecret, newOidcSecret, newUuid } from '../security/random.js';
import type { SecretBox } from '../security/secret-box.js';
import { nowTimestamp } from '../store/clock.js';
import type { Database } from '../store/schema.js';
import { insertApiClient } from '../store/repositories/api-clients.js';
import { appendAudit, customerTarget } from '../store/repositories/audit-log.js';
import { insertEntityType } from '../store/repositories/entity-types.js';
import { engineOf } from '../store/database.js';
import { syncEntityIndexes } from '../store/entity-indexes.js';
import { setMasterKeyCheck } from '../store/repositories/meta.js';
import { insertOidcClient, insertTokenPolicy } from '../store/repositories/hosted-login.js';
import { oidcSecretContext } from '../services/config-access.js';
import { insertApplication, insertCustomer } from '../store/repositories/tenancy.js';
import { MASTER_KEY_CHECK_CONTEXT, MASTER_KEY_CHECK_PLAINTEXT } from './storage.js';

export const BOOTSTRAP_MARKER = 'bootstrapped_at';

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

export interface SeededOwnerCredentials {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

export interface BootstrapClient {
  client_id: string;
  client_secret: string;
  description: string;
  features: Feature[];
}

/** The Hosted Login configuration client: it gets configuration tokens (`POST /{customer_id}/login/token`). */
export interface BootstrapConfigurationClient {
  client_id: string;
  client_secret: string;
  token_policy_id: string;
  allowed_scopes: string[];
}

export interface BootstrapCredentials {
  customer_id: string;
  application_id: string;
  entity_types: string[];
  clients: { owner: BootstrapClient; login: BootstrapClient };
  configuration_client: BootstrapConfigurationClient;
  created_at: string;
}

export type BootstrapResult = { created: true; credentials: BootstrapCredentials; file: string } | { created: false };

export function credentialsFile(dataDir: string): string {
  return join(dataDir, 'bootstrap-credentials.json');
}

const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/;
const CLIENT_SECRET_PATTERN = /^[\x21-\x7e]{16,256}$/;

export function checkSeededOwner(seed: SeededOwnerCredentials): void {
  if ((seed.clientId === undefined) !== (seed.clientSecret === undefined)) {
    throw new BootstrapError('--owner-client-id and --owner-client-secret must be given together');
  }
  if (seed.clientId !== undefined && !CLIENT_ID_PATTERN.test(seed.clientId)) {
    throw new BootstrapError('owner client id must be 8-64 characters of letters, digits, ".", "_" or "-"');
  }
  if (seed.clientSecret !== undefined && !CLIENT_SECRET_PATTERN.test(seed.clientSecret)) {
    throw new BootstrapError('owner client secret must be 16-256 printable ASCII characters without spaces');
  }
}

function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // A fixed name: a file left by a process killed before the rename is overwritten next time.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Bootstraps an empty database; does nothing (and changes nothing) on one that was bootstrapped before. */
export async function bootstrapIfEmpty(
  db: Kysely<Database>,
  secretBox: SecretBox,
  options: { dataDir: string; seededOwner?: SeededOwnerCredentials },
): Promise<BootstrapResult> {
  const seed = options.seededOwner ?? {};
  checkSeededOwner(seed);
  const file = credentialsFile(options.dataDir);

  return db.transaction().execute(async (trx): Promise<BootstrapResult> => {
    const now = nowTimestamp();
    // Claiming the marker first serializes concurrent first starts on one database: the loser inserts nothing.
    const claimed = await trx
      .insertInto('idcloud_meta')
      .values({ key: BOOTSTRAP_MARKER, value: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) return { created: false };

    await setMasterKeyCheck(trx, secretBox.seal(MASTER_KEY_CHECK_PLAINTEXT, MASTER_KEY_CHECK_CONTEXT));

    const customerId = newUuid();
    const applicationId = newApplicationId();
    await insertCustomer(trx, { id: customerId, name: 'default', created_at: now });
    await insertApplication(trx, { id: applicationId, customer_id: customerId, name: 'default', created_at: now });
    const userTypeId = await insertEntityType(trx, { applicationId, name: DEFAULT_ENTITY_TYPE_NAME, attrDefs: defaultUserAttributes(), now });
    await syncEntityIndexes(trx, engineOf(trx), userTypeId, defaultUserAttributes());

    const owner: BootstrapClient = {
      client_id: seed.clientId ?? newClientId(),
      client_secret: seed.clientSecret ?? newClientSecret(),
      description: 'Owner client created at first start',
      features: ['owner'],
    };
    const login: BootstrapClient = {
      client_id: newClientId(),
      client_secret: newClientSecret(),
      description: 'Login client created at first start',
      features: ['login_client'],
    };
    for (const client of [owner, login]) {
      const record = {
        clientId: client.client_id,
        applicationId,
        description: client.description,
        features: client.features,
        whitelist: [...OPEN_WHITELIST],
        createdAt: now,
        updatedAt: now,
      };
      await insertApiClient(trx, record, secretBox.seal(client.client_secret, `api_client:${client.client_id}`));
      const { clientId, description, features, whitelist } = record;
      await appendAudit(trx, {
        at: now, applicationId, actorClientId: null, sourceAddress: null, operation: 'bootstrap.client_created',
        target: clientId, before: null, after: { client_id: clientId, description, features, whitelist },
      });
    }
    await appendAudit(trx, {
      at: now, applicationId, actorClientId: null, sourceAddress: null, operation: 'bootstrap.application_created',
      target: applicationId, before: null, after: { customer_id: customerId, application_id: applicationId, entity_types: [DEFAULT_ENTITY_TYPE_NAME] },
    });

    // The configuration client and its "super admin" token policy (seed 004): the way into the
    // Hosted Login configuration APIs.
    const configuration: BootstrapConfigurationClient = { client_id: newUuid(), client_secret: newOidcSecret(), token_policy_id: newUuid(), allowed_scopes: ['*:**'] };
    await insertTokenPolicy(trx, {
      id: configuration.token_policy_id,
      customerId,
      title: 'Configuration token policy created at first start',
      accessTokenLifetime: 3600,
      refreshTokenLifetime: 7_776_000,
      allowedScopes: configuration.allowed_scopes,
      useAccessJWT: false,
      createdAt: now,
      updatedAt: now,
    });
    await insertOidcClient(
      trx,
      { id: configuration.client_id, customerId, name: 'Configuration client created at first start', type: 'configuration', redirectURIs: [], loginPolicy: null, tokenPolicy: configuration.token_policy_id, apiClientId: null, createdAt: now, updatedAt: now },
      secretBox.seal(configuration.client_secret, oidcSecretContext(configuration.client_id)),
    );
    await appendAudit(trx, {
      at: now, applicationId: null, actorClientId: null, sourceAddress: null, operation: 'bootstrap.configuration_client_created',
      target: customerTarget(customerId, `client:${configuration.client_id}`), before: null, after: { token_policy_id: configuration.token_policy_id, allowed_scopes: configuration.allowed_scopes },
    });

    const credentials: BootstrapCredentials = {
      customer_id: customerId,
      application_id: applicationId,
      entity_types: [DEFAULT_ENTITY_TYPE_NAME],
      clients: { owner, login },
      configuration_client: configuration,
      created_at: now,
    };
    writeFileAtomically(file, `${JSON.stringify(credentials, null, 2)}\n`);
    return { created: true, credentials, file };
  });
}
