import type { Kysely, Migration } from 'kysely';

export const oidcClientLinks = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // The API client a public or confidential OIDC client owns (seed 002: one to one, both ways). The
    // API client's `janrainOidcClientId` setting names the OIDC client; this column is the other way.
    await db.schema.alterTable('oidc_clients').addColumn('api_client_id', 'text').execute();
    await db.schema.createIndex('oidc_clients_api_client').on('oidc_clients').column('api_client_id').unique().execute();
  },
});
