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

export interface ResolvedClient {
  record: ApiClientRecord;
  features: ReadonlySet<Feature>;
  allowList: CompiledAllowList;
  /** The secrets that authenticate now: the current one and any still in a grace period. */
  secrets: readonly string[];
  /** Their digests, for comparing a presented secret without hashing the stored ones again. */
  secretDigests: readonly Buffer[];
}

interface Entry {
  value: ResolvedClient | null;
  expiresAt: number;
}

export const secretContext = (clientId: string): string => `api_client:${clientId}`;

export class ApiClientDirectory {
  readonly #cache = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<ResolvedClient | null>>();
  /** Bumped by every invalidation: a load that started before one must not fill the cache. */
  #generation = 0;

  constructor(
    private readonly store: Store,
    private readonly secretBox: SecretBox,
    private readonly ttlMs = 60_000,
    private readonly negativeTtlMs = 1_000,
  ) {}

  async resolve(clientId: string): Promise<ResolvedClient | null> {
    const hit = this.#cache.get(clientId);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    if (hit) this.#cache.delete(clientId);
    let loading = this.#loading.get(clientId);
    if (!loading) {
      const started = this.#load(clientId);
      loading = started.finally(() => {
        if (this.#loading.get(clientId) === loading) this.#loading.delete(clientId);
      });
      this.#loading.set(clientId, loading);
    }
    return loading;
  }

  invalidate(clientId: string | null): void {
    this.#generation += 1;
    if (clientId === null) {
      this.#cache.clear();
      this.#loading.clear();
    } else {
      this.#cache.delete(clientId);
      this.#loading.delete(clientId);
    }
  }

  async #load(clientId: string): Promise<ResolvedClient | null> {
    const generation = this.#generation;
    const now = Date.now();
    const record = await findApiClient(this.store.db, clientId);
    if (!record) {
      if (generation === this.#generation) this.#cache.set(clientId, { value: null, expiresAt: now + this.negativeTtlMs });
      return null;
    }
    const stored = await listClientSecrets(this.store.db, clientId);
    const nowText = nowTimestamp();
    const live = stored.filter((s) => s.expiresAt === null || s.expiresAt > nowText);
    const secrets = live.map((s) => this.secretBox.open(s.sealed, secretContext(clientId)));
    const graceEnds = live.flatMap((s) => (s.expiresAt === null ? [] : [Date.parse(s.expiresAt)]));
    const value: ResolvedClient = {
      record,
      features: effectiveFeatures(record.features),
      allowList: new CompiledAllowList(record.whitelist),
      secrets,
      secretDigests: secrets.map(secretDigest),
    };
    if (generation === this.#generation) this.#cache.set(clientId, { value, expiresAt: Math.min(now + this.ttlMs, ...graceEnds) });
    return value;
  }
}
