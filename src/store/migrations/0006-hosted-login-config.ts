import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../database.js';
import { withIdentity } from './0001-initial.js';

export const hostedLoginConfig = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // Token policies (spec hosted-login-api §3.3): lifetimes and the scopes tokens may carry.
    await db.schema
      .createTable('token_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('access_token_lifetime', 'integer', (c) => c.notNull())
      .addColumn('refresh_token_lifetime', 'integer', (c) => c.notNull())
      .addColumn('allowed_scopes', 'text', (c) => c.notNull())
      .addColumn('use_access_jwt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('token_policies_customer').on('token_policies').column('customer_id').execute();

    // OIDC clients (§3.1): public, confidential and configuration clients of a customer.
    await db.schema
      .createTable('oidc_clients')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('redirect_uris', 'text', (c) => c.notNull())
      .addColumn('login_policy_id', 'text')
      .addColumn('token_policy_id', 'text', (c) => c.notNull().references('token_policies.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('oidc_clients_customer_name', ['customer_id', 'name'])
      .execute();
    // Sealed secrets, current (expires_at null) and replaced ones in their grace period, as for API clients.
    await withIdentity(db.schema.createTable('oidc_client_secrets'), engine)
      .addColumn('client_id', 'text', (c) => c.notNull().references('oidc_clients.id').onDelete('cascade'))
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .execute();
    await db.schema.createIndex('oidc_client_secrets_client').on('oidc_client_secrets').column('client_id').execute();

    // Configuration access tokens (§1): only a digest of each; they end with their client or policy.
    await db.schema
      .createTable('config_tokens')
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('client_id', 'text', (c) => c.notNull().references('oidc_clients.id').onDelete('cascade'))
      .addColumn('token_policy_id', 'text', (c) => c.notNull().references('token_policies.id').onDelete('cascade'))
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('config_tokens_expires').on('config_tokens').column('expires_at').execute();
  },
});
