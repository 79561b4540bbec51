// A small in-memory cache in front of a loader: one load at a time per key, entries that expire, and
// invalidation that also discards loads already under way (they may have read what just changed).

/** A loaded value and how long it may be served from memory (0 or less: not kept). */
export interface Loaded<V> {
  value: V;
  ttlMs: number;
}

export class LoadingCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<V>>();
  /** Bumped by every invalidation: a load that started before one must not fill the cache. */
  #generation = 0;

  constructor(
    private readonly load: (key: string) => Promise<Loaded<V>>,
    /** Past this many entries the oldest one goes: unbounded keys (tokens, ids) never grow memory without end. */
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit) {
      if (hit.expiresAt > Date.now()) return Promise.resolve(hit.value);
      this.#entries.delete(key);
    }
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = this.#fill(key).finally(() => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
      });
      this.#loading.set(key, loading);
    }
    return loading;
  }

  /** Drops one key, or everything (null). */
  invalidate(key: string | null): void {
    this.#generation += 1;
    if (key === null) {
      this.#entries.clear();
      this.#loading.clear();
    } else {
      this.#entries.delete(key);
      this.#loading.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  async #fill(key: string): Promise<V> {
    const generation = this.#generation;
    const started = Date.now();
    const { value, ttlMs } = await this.load(key);
    if (ttlMs > 0 && generation === this.#generation) {
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value ?? '');
      this.#entries.set(key, { value, expiresAt: started + ttlMs });
    }
    return value;
  }
}
