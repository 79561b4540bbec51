// What the benchmark parent and its server children say to each other. The parent forks a child with
// an IPC channel and its options in the BENCH_CHILD_OPTIONS environment variable; the child answers
// with exactly one message, `ready` (listening on 127.0.0.1) or `failed`, then serves until it gets
// SIGTERM or its IPC channel closes (the parent exited), and exits.

/** The kinds of server a scenario can hit; each runs in a child process of its own. */
export const SERVER_KINDS = ['baseline', 'idcloud', 'oidc-provider'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const CHILD_OPTIONS_ENV = 'BENCH_CHILD_OPTIONS';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Options the parent hands an idcloud child. */
export interface IdcloudChildOptions {
  /** Empty temp directory for the SQLite database, the master key and the bootstrap file; the parent removes it. */
  dataDir: string;
  logLevel: string;
  /** A PostgreSQL server to make a fresh database on, or null for SQLite in `dataDir`. */
  databaseUrl: string | null;
  /** Seeded as the owner API client on the fresh database. */
  owner: ClientCredentials;
}

/** What an idcloud child knows after its first start, for scenarios that build Authorization headers. */
export interface IdcloudDetails {
  logLevel: string;
  owner: ClientCredentials;
  login: ClientCredentials;
  applicationId: string;
  customerId: string;
  /** The Hosted Login configuration client of the first start (gets configuration tokens). */
  configuration: ClientCredentials;
}

/** The one client the oidc-provider child knows (client_credentials). */
export const OIDC_PROVIDER_CLIENT: ClientCredentials = { clientId: 'bench-client', clientSecret: 'bench-client-secret-0123456789abcdef' };

export type ChildMessage =
  | { type: 'ready'; kind: 'baseline'; port: number }
  | { type: 'ready'; kind: 'oidc-provider'; port: number }
  | { type: 'ready'; kind: 'idcloud'; port: number; idcloud: IdcloudDetails }
  | { type: 'failed'; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCredentials(value: unknown): value is ClientCredentials {
  return isRecord(value) && typeof value.clientId === 'string' && typeof value.clientSecret === 'string';
}

function isIdcloudDetails(value: unknown): value is IdcloudDetails {
  return (
    isRecord(value) &&
    typeof value.logLevel === 'string' &&
    isCredentials(value.owner) &&
    isCredentials(value.login) &&
    typeof value.applicationId === 'string' &&
    typeof value.customerId === 'string' &&
    isCredentials(value.configuration)
  );
}

/** Checks a message that came over IPC; anything else is a protocol error. */
export function isChildMessage(value: unknown): value is ChildMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'failed') return typeof value.message === 'string';
  if (value.type !== 'ready' || typeof value.port !== 'number' || !Number.isInteger(value.port) || value.port <= 0) return false;
  if (value.kind === 'baseline' || value.kind === 'oidc-provider') return true;
  return value.kind === 'idcloud' && isIdcloudDetails(value.idcloud);
}

export function isIdcloudChildOptions(value: unknown): value is IdcloudChildOptions {
  return (
    isRecord(value) &&
    typeof value.dataDir === 'string' &&
    typeof value.logLevel === 'string' &&
    (value.databaseUrl === null || typeof value.databaseUrl === 'string') &&
    isCredentials(value.owner)
  );
}
