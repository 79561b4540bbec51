// Throttling of failed authentications per client id and per source address. Failures are counted
// in the database (shared by every process); which keys are blocked is refreshed from it on a short
// interval, so the success path never waits on the database.
import type { Logger } from 'pino';
import type { Store } from '../store/database.js';
import { toStoredTimestamp } from '../store/clock.js';
import { listBlockedKeys, pruneAuthThrottle, recordAuthFailure } from '../store/repositories/auth-throttle.js';

export interface ThrottleSettings {
  /** failures per client id within a window */
  clientLimit: number;
  /** failures per source address within a window */
  addressLimit: number;
  windowSeconds: number;
}

export const throttleKeys = (clientId: string | null, address: string): { client: string | null; address: string } => ({
  client: clientId === null ? null : `client:${clientId}`,
  address: `address:${address}`,
});

export class AuthThrottle {
  readonly #blocked = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #refreshes = 0;

  constructor(
    private readonly store: Store,
    private readonly settings: ThrottleSettings,
    private readonly logger: Logger,
    readonly refreshMs = 500,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Seconds until the caller may try again, or 0 when not blocked. */
  retryAfter(clientId: string | null, address: string): number {
    const keys = throttleKeys(clientId, address);
    const now = Date.now();
    let until = 0;
    for (const key of [keys.client, keys.address]) {
      if (key === null) continue;
      const t = this.#blocked.get(key);
      if (t !== undefined && t > now) until = Math.max(until, t);
    }
    return until === 0 ? 0 : Math.ceil((until - now) / 1000);
  }

  async recordFailure(clientId: string | null, address: string): Promise<void> {
    const keys = throttleKeys(clientId, address);
    const now = Date.now();
    const windowMs = this.settings.windowSeconds * 1000;
    const common = {
      now: toStoredTimestamp(new Date(now)),
      windowStart: toStoredTimestamp(new Date(now - windowMs)),
      blockedUntil: toStoredTimestamp(new Date(now + windowMs)),
    };
    try {
      for (const [key, limit] of [[keys.client, this.settings.clientLimit], [keys.address, this.settings.addressLimit]] as const) {
        if (key === null) continue;
        const blockedUntil = await recordAuthFailure(this.store.db, key, { ...common, limit });
        if (blockedUntil !== null) {
          this.#blocked.set(key, Date.parse(blockedUntil));
          this.logger.warn({ key, blockedUntil }, 'authentication throttled after repeated failures');
        }
      }
    } catch (err) {
      this.logger.error({ err }, 'could not record an authentication failure');
    }
  }

  async refresh(): Promise<void> {
    const now = new Date();
    try {
      const rows = await listBlockedKeys(this.store.db, toStoredTimestamp(now));
      this.#blocked.clear();
      for (const { key, blockedUntil } of rows) this.#blocked.set(key, Date.parse(blockedUntil));
      // Old counters are dropped now and then (every 120 refreshes: a minute at the default interval).
      if (++this.#refreshes % 120 === 0) await pruneAuthThrottle(this.store.db, toStoredTimestamp(new Date(now.getTime() - 2 * this.settings.windowSeconds * 1000)));
    } catch (err) {
      this.logger.warn({ err }, 'could not refresh the throttle state');
    }
  }
}
