import type { Kysely, Migration } from 'kysely';

export const loginPolicies = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // Login policies (spec hosted-login-api §3.2): the identity store (application, entity type, owner
    // API client) and login page that OIDC clients use. The owner client's secret is sealed.
    await db.schema
      .createTable('login_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('login_url', 'text', (c) => c.notNull())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
      .addColumn('entity_type', 'text', (c) => c.notNull())
      .addColumn('api_client_id', 'text', (c) => c.notNull())
      .addColumn('secret_key_id', 'text', (c) => c.notNull())
      .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
      .addColumn('custom_claims', 'text')
      .addColumn('push_claims', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('allowed_response_types', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('login_policies_customer').on('login_policies').column('customer_id').execute();
    await db.schema.createIndex('login_policies_api_client').on('login_policies').column('api_client_id').execute();
  },
});
