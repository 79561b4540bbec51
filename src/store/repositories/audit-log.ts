import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface AuditEntry {
  at: string;
  applicationId: string | null;
  actorClientId: string | null;
  sourceAddress: string | null;
  operation: string;
  target: string | null;
  /** Already redacted by the caller: no secret may reach this table. */
  before: unknown;
  after: unknown;
}

export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at,
      application_id: entry.applicationId,
      actor_client_id: entry.actorClientId,
      source_address: entry.sourceAddress,
      operation: entry.operation,
      target: entry.target,
      before: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
      after: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
    })
    .execute();
}

/**
 * Target of a customer-level entry: Hosted Login configuration belongs to the customer, not to one
 * application, so such entries have no application and name the customer in their target.
 */
export const customerTarget = (customerId: string, what: string): string => `customer:${customerId}/${what}`;

export interface AuditQuery {
  /** entries of this application … */
  applicationId?: string | undefined;
  /** … and (or only, without an application) the customer-level entries of this customer; neither: everything */
  customerId?: string | undefined;
  /** inclusive bounds, stored-timestamp form */
  from?: string | undefined;
  to?: string | undefined;
  actorClientId?: string | undefined;
  operation?: string | undefined;
  limit?: number;
}

/** Entries oldest first. */
export async function listAudit(db: Kysely<Database>, query: AuditQuery | string): Promise<(AuditEntry & { id: number })[]> {
  const q: AuditQuery = typeof query === 'string' ? { applicationId: query } : query;
  let select = db.selectFrom('audit_log').selectAll();
  const { applicationId, customerId } = q;
  if (applicationId !== undefined || customerId !== undefined) {
    select = select.where((eb) => {
      const prefix = customerId === undefined ? null : customerTarget(customerId, '');
      // substr, not LIKE: SQLite's LIKE ignores case, and the comparison must be exact on both engines.
      const ofCustomer = prefix === null ? null : eb.and([eb('application_id', 'is', null), eb(eb.fn<string>('substr', ['target', eb.lit(1), eb.lit(prefix.length)]), '=', prefix)]);
      const ofApplication = applicationId === undefined ? null : eb('application_id', '=', applicationId);
      return eb.or([ofApplication, ofCustomer].filter((c) => c !== null));
    });
  }
  if (q.from !== undefined) select = select.where('at', '>=', q.from);
  if (q.to !== undefined) select = select.where('at', '<=', q.to);
  if (q.actorClientId !== undefined) select = select.where('actor_client_id', '=', q.actorClientId);
  if (q.operation !== undefined) select = select.where('operation', '=', q.operation);
  const rows = await select.orderBy('id').limit(q.limit ?? 10_000).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    applicationId: r.application_id,
    actorClientId: r.actor_client_id,
    sourceAddress: r.source_address,
    operation: r.operation,
    target: r.target,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  }));
}
