// A seeded generator of user records for the data benchmarks: the same seed gives the same users
// on every machine, in a shape the default `user` entity type takes (docs/entities.md).
const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken', 'Radia', 'Tim', 'Sophie', 'Niklaus', 'Katherine', 'Dennis'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy', 'Hamilton', 'Thompson', 'Perlman', 'Berners-Lee', 'Wilson', 'Wirth', 'Johnson', 'Ritchie'];
const CITIES = ['London', 'Paris', 'Berlin', 'Lisbon', 'Oslo', 'Rome', 'Vienna', 'Prague', 'Dublin', 'Madrid'];

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** `created` of user i: spread over 2015-2024 in increasing order, so the created range has a known split. */
export function createdOf(i: number, total: number): string {
  const start = Date.UTC(2015, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;
  return new Date(start + Math.floor((span * i) / Math.max(1, total))).toISOString().replace('T', ' ').replace('Z', ' +0000');
}

export interface GeneratedUser {
  email: string;
  givenName: string;
  familyName: string;
  displayName: string;
  birthday: string;
  primaryAddress: { city: string; zip: string };
  created: string;
  lastUpdated: string;
}

/** The users of one run, one at a time (constant memory at any count). */
export function* generateUsers(total: number, seed = 20261122): Generator<GeneratedUser> {
  const rand = prng(seed);
  for (let i = 0; i < total; i += 1) {
    const given = pick(rand, GIVEN);
    const family = pick(rand, FAMILY);
    const created = createdOf(i, total);
    yield {
      email: `${given.toLowerCase()}.${family.toLowerCase()}.${i}@example.com`,
      givenName: given,
      familyName: family,
      displayName: `${given} ${family} ${i}`,
      birthday: `${1940 + Math.floor(rand() * 70)}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`,
      primaryAddress: { city: pick(rand, CITIES), zip: pad(Math.floor(rand() * 100000), 5) },
      created,
      lastUpdated: created,
    };
  }
}
