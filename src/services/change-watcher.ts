// Cross-process cache invalidation: every writer bumps a counter in `cache_epochs` inside its own
// transaction; each process polls the counters and tells its caches what changed. A change made by
// another process is seen within one poll interval; one made by this process is applied at once by
// the writer itself.
import type { Logger } from 'pino';
import type { Store } from '../store/database.js';
import { readEpochs, type CachedKind } from '../store/repositories/cache-epochs.js';

export type ChangeListener = (key: string | null) => void;

export class ChangeWatcher {
  readonly #epochs = new Map<string, number>();
  readonly #listeners = new Map<CachedKind, ChangeListener[]>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    readonly intervalMs = 500,
  ) {}

  on(kind: CachedKind, listener: ChangeListener): void {
    this.#listeners.set(kind, [...(this.#listeners.get(kind) ?? []), listener]);
  }

  async start(): Promise<void> {
    await this.poll();
    this.#timer = setInterval(() => void this.poll(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the counters once; exposed so tests and writers can force a check. */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const rows = await readEpochs(this.store.db);
      // A kind never changed since the database was made has no row yet: that is epoch 0, so its
      // first change (the row appearing) is noticed like any other.
      for (const kind of this.#listeners.keys()) if (!this.#epochs.has(kind) && !rows.some((r) => r.name === kind)) this.#epochs.set(kind, 0);
      for (const { name, epoch, changedKey } of rows) {
        const seen = this.#epochs.get(name);
        this.#epochs.set(name, epoch);
        if (seen === undefined || seen === epoch) continue;
        // Exactly one change since the last look: only that key; otherwise everything of that kind.
        const key = epoch === seen + 1 ? changedKey : null;
        for (const listener of this.#listeners.get(name as CachedKind) ?? []) listener(key);
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not read cache epochs; caches keep their entries until the next poll');
    } finally {
      this.#polling = false;
    }
  }
}
