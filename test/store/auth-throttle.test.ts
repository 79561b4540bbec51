import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import { toStoredTimestamp } from '../../src/store/clock.js';
import { listBlockedKeys, pruneAuthThrottle, recordAuthFailure } from '../../src/store/repositories/auth-throttle.js';
import { ENGINES } from '../helpers/engines.js';
import { createTestEnvironment, type TestEnvironment } from '../helpers/server.js';

const at = (ms: number): string => toStoredTimestamp(new Date(ms));
const T0 = Date.UTC(2026, 0, 1);
const WINDOW = 60_000;
const policy = (now: number, limit = 3) => ({ limit, now: at(now), windowStart: at(now - WINDOW), blockedUntil: at(now + WINDOW) });

describe.each(ENGINES)('auth throttle counters on %s', (engine) => {
  let env: TestEnvironment;
  let storage: PreparedStorage;
  beforeAll(async () => {
    env = await createTestEnvironment(engine);
    storage = await prepareStorage(env.config, {});
  });
  afterAll(async () => {
    await storage.store.close();
    await env.dispose();
  });

  it('blocks a key at its limit within one window, and only once per block', async () => {
    const db = storage.store.db;
    expect(await recordAuthFailure(db, 'client:a', policy(T0))).toBeNull();
    expect(await recordAuthFailure(db, 'client:a', policy(T0 + 1))).toBeNull();
    expect(await recordAuthFailure(db, 'client:a', policy(T0 + 2))).toBe(at(T0 + 2 + WINDOW));
    // Further failures while blocked do not extend the block.
    expect(await recordAuthFailure(db, 'client:a', policy(T0 + 3))).toBeNull();
    expect(await listBlockedKeys(db, at(T0 + 10))).toEqual([{ key: 'client:a', blockedUntil: at(T0 + 2 + WINDOW) }]);
    expect(await listBlockedKeys(db, at(T0 + 3 + WINDOW))).toEqual([]);
  });

  it('starts a fresh count once the window has passed', async () => {
    const db = storage.store.db;
    await recordAuthFailure(db, 'client:b', policy(T0));
    await recordAuthFailure(db, 'client:b', policy(T0 + 1));
    // Two failures, then a gap longer than the window: the next failure counts as the first.
    expect(await recordAuthFailure(db, 'client:b', policy(T0 + WINDOW + 10))).toBeNull();
    expect(await recordAuthFailure(db, 'client:b', policy(T0 + WINDOW + 11))).toBeNull();
    expect(await listBlockedKeys(db, at(T0 + WINDOW + 12))).toEqual([]);
  });

  it('prunes counters older than the cut-off that are not blocking', async () => {
    const db = storage.store.db;
    await recordAuthFailure(db, 'address:old', policy(T0));
    await recordAuthFailure(db, 'address:new', policy(T0 + 5 * WINDOW));
    await pruneAuthThrottle(db, at(T0 + 4 * WINDOW));
    const keys = (await db.selectFrom('auth_throttle').select('key').execute()).map((r) => r.key);
    expect(keys).toContain('address:new');
    expect(keys).not.toContain('address:old');
  });
});
