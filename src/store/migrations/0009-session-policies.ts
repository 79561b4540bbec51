import type { Kysely, Migration } from 'kysely';

export const sessionPolicies = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // The default session policy of a customer (spec hosted-login-api §3.4), one row per customer.
    await db.schema
      .createTable('session_policies')
      .addColumn('customer_id', 'text', (c) => c.primaryKey().references('customers.id'))
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
});
