// Group commit: rows written by many concurrent requests go to the database together, one
// transaction per batch instead of one per row. A batch is whatever arrived while the event loop
// turned (or while the previous batch was being committed); every caller's promise settles with
// its batch's commit.
import type { Kysely } from 'kysely';
import { relaxedTransaction, type Store } from './database.js';
import type { Database } from './schema.js';

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  #queue: Pending<T>[] = [];
  #busy = false;

  constructor(
    private readonly store: Store,
    private readonly write: (trx: Kysely<Database>, items: T[]) => Promise<void>,
    /** Rows per transaction at most (and per statement: keeps SQLite under its bound-parameter limit). */
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once the item is committed (without waiting for the disk: see relaxedTransaction). */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      try {
        await relaxedTransaction(this.store, (trx) => this.write(trx, batch.map((p) => p.item)));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.#busy = false;
  }
}
