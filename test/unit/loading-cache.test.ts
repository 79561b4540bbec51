import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoadingCache, type Loaded } from '../../src/services/loading-cache.js';

/** A loader that counts its calls and answers `value-<n>` for the n-th call. */
function countingLoader(ttlMs = 1_000) {
  let calls = 0;
  const load = async (key: string): Promise<Loaded<string>> => {
    calls += 1;
    return { value: `${key}-${calls}`, ttlMs };
  };
  return { load, calls: () => calls };
}

describe('LoadingCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads once per key while the entry lives, and again after it expires', async () => {
    vi.useFakeTimers({ now: 0 });
    const loader = countingLoader(1_000);
    const cache = new LoadingCache(loader.load);
    expect(await cache.get('a')).toBe('a-1');
    expect(await cache.get('a')).toBe('a-1');
    expect(loader.calls()).toBe(1);
    vi.setSystemTime(999);
    expect(await cache.get('a')).toBe('a-1');
    vi.setSystemTime(1_000);
    expect(await cache.get('a')).toBe('a-2');
    expect(loader.calls()).toBe(2);
  });

  it('shares one load among concurrent callers', async () => {
    const loader = countingLoader();
    const cache = new LoadingCache(loader.load);
    const values = await Promise.all([cache.get('k'), cache.get('k'), cache.get('k')]);
    expect(values).toEqual(['k-1', 'k-1', 'k-1']);
    expect(loader.calls()).toBe(1);
  });

  it('does not keep values loaded with no lifetime', async () => {
    const loader = countingLoader(0);
    const cache = new LoadingCache(loader.load);
    await cache.get('x');
    await cache.get('x');
    expect(loader.calls()).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('drops one key or everything on invalidation', async () => {
    const loader = countingLoader();
    const cache = new LoadingCache(loader.load);
    await cache.get('a');
    await cache.get('b');
    cache.invalidate('a');
    expect(await cache.get('a')).toBe('a-3');
    expect(await cache.get('b')).toBe('b-2');
    cache.invalidate(null);
    expect(await cache.get('b')).toBe('b-4');
  });

  it('never keeps a value whose load began before an invalidation', async () => {
    let release: (v: Loaded<string>) => void = () => undefined;
    let calls = 0;
    const cache = new LoadingCache<string>(() => {
      calls += 1;
      return calls === 1 ? new Promise((resolve) => (release = resolve)) : Promise.resolve({ value: 'fresh', ttlMs: 1_000 });
    });
    const stale = cache.get('k');
    cache.invalidate('k');
    release({ value: 'stale', ttlMs: 1_000 });
    // The caller that asked before the change gets what was read; nobody after it does.
    expect(await stale).toBe('stale');
    expect(await cache.get('k')).toBe('fresh');
    expect(await cache.get('k')).toBe('fresh');
    expect(calls).toBe(2);
  });

  it('holds at most maxEntries, dropping the oldest first', async () => {
    const loader = countingLoader();
    const cache = new LoadingCache(loader.load, 2);
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    expect(cache.size).toBe(2);
    const before = loader.calls();
    await cache.get('c');
    await cache.get('b');
    expect(loader.calls()).toBe(before);
    expect(await cache.get('a')).toBe(`a-${before + 1}`);
  });

  it('passes a failed load to its callers and remembers nothing', async () => {
    let fail = true;
    const cache = new LoadingCache<string>(async () => {
      if (fail) throw new Error('database away');
      return { value: 'ok', ttlMs: 1_000 };
    });
    await expect(cache.get('k')).rejects.toThrow('database away');
    fail = false;
    expect(await cache.get('k')).toBe('ok');
  });
});
