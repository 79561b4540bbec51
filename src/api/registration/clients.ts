// Legacy Clients API (spec capture-api §6): /clients/*, owner only, shapes as the original.
import { ApiClientService, ClientChangeRefused, parseFeatures, parseHoursToLive, parseWhitelist, type Actor, type ClientProblem } from '../../services/api-clients.js';
import { isFeature } from '../../domain/features.js';
import { invalidArgument, missingArgument, type RegistrationError } from './errors.js';
import type { RegistrationCall, RegistrationOperation } from './operation.js';
import { jsonParam, requireParam } from './params.js';

function actorOf(call: RegistrationCall): Actor {
  return { applicationId: call.client.record.applicationId, clientId: call.client.record.clientId, address: call.address };
}

/**
 * Maps a refused change to the Registration error the legacy API answers with: the argument named is
 * the one that names the client (`target`) when the client is missing, else the one that was refused.
 */
function toRegistrationError(problem: ClientProblem, message: string, argument: string, target = 'for_client_id'): RegistrationError {
  if (problem.kind === 'invalid') return invalidArgument(problem.field, message);
  return invalidArgument(problem.kind === 'not_found' ? target : argument, message);
}

async function refusedAsRegistrationError<T>(argument: string, fn: () => Promise<T>, target?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ClientChangeRefused) throw toRegistrationError(err.problem, err.message, argument, target);
    throw err;
  }
}

const validated = <T>(fn: () => T): T => {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ClientChangeRefused) throw toRegistrationError(err.problem, err.message, 'request');
    throw err;
  }
};

/** `for_client_id`, defaulting to the caller. */
const targetOf = (call: RegistrationCall): string => call.params.get('for_client_id') || call.client.record.clientId;

export function clientOperations(): RegistrationOperation[] {
  const service = (call: RegistrationCall): ApiClientService => new ApiClientService(call.ctx);
  return [
    {
      name: '/clients/list',
      async run(call) {
        // `has_features` per the reference; some clients send `features`.
        const filterText = call.params.has('has_features') ? 'has_features' : call.params.has('features') ? 'features' : null;
        let wanted: string[] | null = null;
        if (filterText !== null) {
          const value = jsonParam(call.params, filterText);
          if (!Array.isArray(value) || !value.every(isFeature)) throw invalidArgument(filterText, 'must be a JSON array of feature names');
          wanted = value;
        }
        const clients = await service(call).list(call.client.record.applicationId);
        const results = clients
          .filter(({ record }) => wanted === null || record.features.some((f) => wanted.includes(f)))
          .map(({ record, secret }) => ({ client_id: record.clientId, client_secret: secret, description: record.description, features: record.features, whitelist: record.whitelist }));
        return { results };
      },
    },
    {
      name: '/clients/add',
      async run(call) {
        const description = requireParam(call.params, 'description');
        const features = call.params.has('features') ? validated(() => parseFeatures(jsonParam(call.params, 'features'))) : [];
        const { record, secret } = await service(call).create(actorOf(call), { description, features }, 'clients/add');
        return { client_id: record.clientId, client_secret: secret, description: record.description, features: record.features, whitelist: record.whitelist };
      },
    },
    {
      name: '/clients/delete',
      async run(call) {
        const target = requireParam(call.params, 'client_id_for_deletion');
        await refusedAsRegistrationError('client_id_for_deletion', () => service(call).delete(actorOf(call), target, 'clients/delete'), 'client_id_for_deletion');
        return {};
      },
    },
    {
      name: '/clients/set_description',
      async run(call) {
        const description = requireParam(call.params, 'description');
        await refusedAsRegistrationError('for_client_id', () => service(call).update(actorOf(call), targetOf(call), { description }, 'clients/set_description'));
        return {};
      },
    },
    {
      name: '/clients/set_features',
      async run(call) {
        if (!call.params.has('features')) throw missingArgument('features');
        const features = validated(() => parseFeatures(jsonParam(call.params, 'features')));
        await refusedAsRegistrationError('features', () => service(call).update(actorOf(call), targetOf(call), { features }, 'clients/set_features'));
        return {};
      },
    },
    {
      name: '/clients/set_whitelist',
      async run(call) {
        if (!call.params.has('whitelist')) throw missingArgument('whitelist');
        const whitelist = validated(() => parseWhitelist(jsonParam(call.params, 'whitelist')));
        await refusedAsRegistrationError('whitelist', () => service(call).update(actorOf(call), targetOf(call), { whitelist }, 'clients/set_whitelist'));
        return {};
      },
    },
    {
      name: '/clients/clear_whitelist',
      async run(call) {
        await refusedAsRegistrationError('for_client_id', () => service(call).update(actorOf(call), targetOf(call), { whitelist: ['0.0.0.0/0'] }, 'clients/clear_whitelist'));
        return {};
      },
    },
    {
      name: '/clients/reset_secret',
      async run(call) {
        const target = requireParam(call.params, 'for_client_id');
        const hours = validated(() => parseHoursToLive(requireParam(call.params, 'hours_to_live')));
        const { secret, loginPolicies } = await refusedAsRegistrationError('for_client_id', () => service(call).resetSecret(actorOf(call), target, hours, 'clients/reset_secret'));
        return { new_secret: secret, login_policies: loginPolicies };
      },
    },
  ];
}
