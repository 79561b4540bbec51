// /audit/list (idcloud): the owner reads the application's audit log, with the customer-level entries
// (Hosted Login configuration: token policies, login policies, OIDC clients) of its customer.
import { listAudit, type AuditQuery } from '../../store/repositories/audit-log.js';
import { findApplication } from '../../store/repositories/tenancy.js';
import { invalidArgument } from './errors.js';
import type { RegistrationOperation } from './operation.js';

const MAX_RESULTS = 1000;

function timestampParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(name, 'must be an ISO-8601 timestamp');
  return new Date(t).toISOString().replace('Z', '000Z');
}

export function auditOperations(): RegistrationOperation[] {
  return [
    {
      name: '/audit/list',
      async run(call) {
        const p = call.params;
        const maxText = p.get('max_results');
        const max = maxText === undefined ? 100 : Number(maxText);
        if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw invalidArgument('max_results', `must be an integer from 1 to ${MAX_RESULTS}`);
        const application = await findApplication(call.ctx.store.db, call.client.record.applicationId);
        const query: AuditQuery = {
          applicationId: call.client.record.applicationId,
          customerId: application?.customer_id,
          from: timestampParam(p.get('from'), 'from'),
          to: timestampParam(p.get('to'), 'to'),
          actorClientId: p.get('actor_client_id') || undefined,
          operation: p.get('operation') || undefined,
          limit: max,
        };
        const entries = await listAudit(call.ctx.store.db, query);
        return {
          results: entries.map((e) => ({
            id: e.id, at: e.at, application_id: e.applicationId, client_id: e.actorClientId, address: e.sourceAddress, operation: e.operation, target: e.target, before: e.before, after: e.after,
          })),
        };
      },
    },
  ];
}
