// Customers and the applications they own.
import type { Kysely, Selectable } from 'kysely';
import type { ApplicationsTable, CustomersTable, Database } from '../schema.js';

export type Customer = Selectable<CustomersTable>;
export type Application = Selectable<ApplicationsTable>;

export async function insertCustomer(db: Kysely<Database>, customer: Customer): Promise<void> {
  await db.insertInto('customers').values(customer).execute();
}

export async function insertApplication(db: Kysely<Database>, application: Application): Promise<void> {
  await db.insertInto('applications').values(application).execute();
}

export async function countCustomers(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listApplications(db: Kysely<Database>): Promise<Application[]> {
  return db.selectFrom('applications').selectAll().orderBy('created_at').execute();
}

export async function findApplication(db: Kysely<Database>, id: string): Promise<Application | undefined> {
  return db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
}
