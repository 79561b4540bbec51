// Looks up API clients for authentication, with their secrets opened. Entries live in memory for a
// short time only (and never past a grace period's end), and are dropped on any change to the client,
// in this process at once and in other processes through the ChangeWatcher.
import { CompiledAllowList } from '../domain/allowlist.js';
import { effectiveFeatures, type Feature } from '../domain/features.js';
import { secretDigest } from '../security/constant-time.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Store } from '../store/database.js';
import { findApiClient, listClientSecrets, type ApiClientRecord } from '../store/repositories/api-clients.js';
import { nowTimestamp } from '../store/clock.js';
import { LoadingCache, type Loaded } from './loading-cache.js';

export interface ResolvedClient {
  record: ApiClientRecord;
  features: ReadonlySet<Feature>;
  allowList: CompiledAllowList;
  /** The secrets that authenticate now: the current one and any still in a grace period. */
  secrets: readonly string[];
  /** Their digests, for comparing a presented secret without hashing the stored ones again. */
  secretDigests: readonly Buffer[];
}

export const secretContext = (clientId: string): string => `api_client:${clientId}`;

export class ApiClientDirectory {
  readonly #cache: LoadingCache<ResolvedClient | null>;

  constructor(
    private readonly store: Store,
    private readonly secretBox: SecretBox,
    private readonly ttlMs = 60_000,
    private readonly negativeTtlMs = 1_000,
  ) {
    this.#cache = new LoadingCache((clientId) => this.#load(clientId));
  }

  resolve(clientId: string): Promise<ResolvedClient | null> {
    return this.#cache.get(clientId);
  }

  invalidate(clientId: string | null): void {
    this.#cache.invalidate(clientId);
  }

  async #load(clientId: string): Promise<Loaded<ResolvedClient | null>> {
    const record = await findApiClient(this.store.db, clientId);
    if (!record) return { value: null, ttlMs: this.negativeTtlMs };
    const stored = await listClientSecrets(this.store.db, clientId);
    const nowText = nowTimestamp();
    const live = stored.filter((s) => s.expiresAt === null || s.expiresAt > nowText);
    const secrets = live.map((s) => this.secretBox.open(s.sealed, secretContext(clientId)));
    const value: ResolvedClient = {
      record,
      features: effectiveFeatures(record.features),
      allowList: new CompiledAllowList(record.whitelist),
      secrets,
      secretDigests: secrets.map(secretDigest),
    };
    return { value, ttlMs: untilGraceEnds(this.ttlMs, live.map((s) => s.expiresAt)) };
  }
}

/** A cache lifetime that never outlasts the grace period of a replaced secret (expiry times as stored). */
export function untilGraceEnds(ttlMs: number, expiries: readonly (string | null)[]): number {
  const now = Date.now();
  return Math.min(ttlMs, ...expiries.flatMap((at) => (at === null ? [] : [Date.parse(at) - now])));
}
