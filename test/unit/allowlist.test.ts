// Unit and property tests for src/domain/allowlist.ts: IP allow lists of API clients (spec
// capture-api §1.6; decisions "IP allow lists"; seed 000 "Use /clients/set_whitelist").
// Containment is computed independently here with integer arithmetic, never with ipaddr.js.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledAllowList, EVERYONE, isAddressAllowed, locksOutCaller, parseAddress, parseAllowList } from '../../src/domain/allowlist.js';

// ---------------------------------------------------------------------------------------------
// Independent address arithmetic
// ---------------------------------------------------------------------------------------------

const IPV4_SIZE = 2 ** 32;

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The network of `address/prefix`, as an unsigned 32-bit integer. */
function ipv4Network(address: number, prefix: number): number {
  const blockSize = 2 ** (32 - prefix);
  return Math.floor(address / blockSize) * blockSize;
}

function ipv4Contains(base: number, prefix: number, address: number): boolean {
  return ipv4Network(base, prefix) === ipv4Network(address, prefix);
}

const IPV6_BITS = 128n;
const IPV6_MAX = (1n << IPV6_BITS) - 1n;

/** Full, uncompressed text of a 128-bit address. */
function ipv6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i -= 1) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

function ipv6Contains(base: bigint, prefix: number, address: bigint): boolean {
  const shift = IPV6_BITS - BigInt(prefix);
  return base >> shift === address >> shift;
}

/** ::ffff:0:0/96, the IPv4-mapped range, which the module treats as IPv4. */
function isIpv4Mapped(n: bigint): boolean {
  return n >> 32n === 0xffffn;
}

function parsed(entries: unknown): string[] {
  const result = parseAllowList(entries);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(entries)} to parse, got ${result.reason}`);
  return result.list;
}

function refusal(entries: unknown): { entry: string; reason: string } {
  const result = parseAllowList(entries);
  if (result.ok) throw new Error(`expected ${JSON.stringify(entries)} to be refused, got ${JSON.stringify(result.list)}`);
  return { entry: result.entry, reason: result.reason };
}

// ---------------------------------------------------------------------------------------------

describe('parseAllowList accepts and normalizes', () => {
  it('IPv4 CIDR blocks', () => {
    expect(parsed(['10.0.0.0/8', '192.168.1.0/24', '172.16.0.0/12', '0.0.0.0/0', '203.0.113.7/32'])).toEqual([
      '10.0.0.0/8',
      '192.168.1.0/24',
      '172.16.0.0/12',
      '0.0.0.0/0',
      '203.0.113.7/32',
    ]);
  });

  it('IPv6 CIDR blocks, in compressed lower-case form', () => {
    expect(parsed(['2001:db8::/32', '2001:DB8:0:0:0:0:0:0/48', '::/0', 'fe80::/10', '::1/128'])).toEqual(['2001:db8::/32', '2001:db8::/48', '::/0', 'fe80::/10', '::1/128']);
  });

  it('a bare address as that one address: /32 for IPv4, /128 for IPv6', () => {
    expect(parsed(['10.1.2.3'])).toEqual(['10.1.2.3/32']);
    expect(parsed(['2001:db8::1'])).toEqual(['2001:db8::1/128']);
    expect(parsed(['2001:0DB8:0000:0000:0000:0000:0000:0001'])).toEqual(['2001:db8::1/128']);
    expect(parsed(['::'])).toEqual(['::/128']);
  });

  it('the longest prefixes and /0', () => {
    expect(parsed(['1.2.3.4/32', '1.2.3.4/0', '::1/128', '::/0'])).toEqual(['1.2.3.4/32', '1.2.3.4/0', '::1/128', '::/0']);
  });

  it('surrounding whitespace is ignored', () => {
    expect(parsed([' 10.0.0.0/8 ', '\t2001:db8::/32\n'])).toEqual(['10.0.0.0/8', '2001:db8::/32']);
  });

  it('duplicates collapse to the first occurrence, after normalization', () => {
    expect(parsed(['10.0.0.1', '10.0.0.0/8', '10.0.0.1/32', ' 10.0.0.1 ', '10.0.0.0/8'])).toEqual(['10.0.0.1/32', '10.0.0.0/8']);
    expect(parsed(['2001:db8::1', '2001:DB8::1/128', '2001:db8:0:0::1'])).toEqual(['2001:db8::1/128']);
  });

  it('the empty list and the default list', () => {
    expect(parsed([])).toEqual([]);
    expect(parsed(['0.0.0.0/0'])).toEqual([EVERYONE]);
    expect(EVERYONE).toBe('0.0.0.0/0');
  });
});

describe('parseAllowList refuses', () => {
  it('anything that is not an array', () => {
    for (const value of [null, undefined, '10.0.0.0/8', '["10.0.0.0/8"]', 42, true, {}, { 0: '10.0.0.0/8', length: 1 }]) {
      const r = refusal(value);
      expect(typeof r.entry).toBe('string');
      expect(r.reason).toMatch(/array/);
    }
  });

  it('entries that are not strings', () => {
    for (const entry of [1, 167772160, null, true, ['10.0.0.0/8'], { cidr: '10.0.0.0/8' }]) {
      const r = refusal(['10.0.0.0/8', entry]);
      expect(r.entry).toBe(JSON.stringify(entry));
      expect(r.reason).toMatch(/string/);
    }
  });

  it('an IPv4 prefix above 32, with the documented wording (spec §1.6 [ID-SETWL])', () => {
    for (const entry of ['10.0.0.0/33', '0.0.0.0/64', '1.2.3.4/999']) {
      const r = refusal([entry]);
      expect(r.entry).toBe(entry);
      expect(r.reason).toContain(`invalid cidr address: ${entry}`);
      expect(r.reason).toContain('value after slash must be 32 or less');
    }
  });

  it('an IPv6 prefix above 128', () => {
    for (const entry of ['::/129', '2001:db8::/200']) {
      const r = refusal([entry]);
      expect(r.reason).toContain('invalid cidr address');
      expect(r.reason).toContain('value after slash must be 128 or less');
    }
  });

  it('garbage', () => {
    const garbage = [
      '',
      ' ',
      'abc',
      'localhost',
      '/8',
      '1.2.3.4/',
      '1.2.3.4/8/8',
      '1.2.3.4/-1',
      '1.2.3.4/+8',
      '1.2.3.4/ab',
      '1.2.3.4/1e1',
      '1.2.3.4/8.0',
      '1.2.3.4/0x8',
      '1.2.3.4 /8',
      '1.2.3.4/ 8',
      '1.2.3.4/1000',
      '256.0.0.0/8',
      '1.2.3.256',
      '1.2.3.4.5',
      '1.2.3.-4',
      '1..2.3',
      '::g',
      '2001:db8:::1',
      '2001:db8::1::2',
      '1:2:3:4:5:6:7:8:9',
      '0.0.0.0/0,10.0.0.0/8',
      '10.0.0.0/8 192.168.0.0/16',
    ];
    for (const entry of garbage) {
      const r = refusal([entry]);
      expect(r.entry, entry).toBe(entry);
      expect(r.reason, entry).toContain('invalid cidr address');
    }
  });

  it('short and numeric IPv4 forms (inet_aton style)', () => {
    for (const entry of ['10', '10.1', '10.1.2', '10/8', '10.1/16', '10.1.2/24', '167772161', '0xa000001', '0x0a.0.0.1', '0x0a.0x00.0x00.0x01', '00000000010.0.0.1']) {
      expect(parseAllowList([entry]).ok, entry).toBe(false);
    }
  });

  it('the whole list when any entry is bad, naming that entry', () => {
    expect(parseAllowList(['10.0.0.0/8', 'bad', '192.168.0.0/16'])).toEqual({ ok: false, entry: 'bad', reason: 'invalid cidr address: bad' });
  });

  it('an IPv4 address with a leading zero is refused or read as decimal, never as octal', () => {
    // ipaddr.js reads "010" as octal 8, so "010.0.0.1" would silently become 8.0.0.1.
    for (const [entry, decimal] of [
      ['010.0.0.1', '10.0.0.1/32'],
      ['192.168.010.0/24', '192.168.10.0/24'],
    ] as const) {
      const result = parseAllowList([entry]);
      if (result.ok) expect(result.list, entry).toEqual([decimal]);
    }
  });
});

describe('block boundaries', () => {
  it('IPv4: first and last address in, the neighbours just outside out', () => {
    const cases: [string, string[], string[]][] = [
      ['10.1.2.0/24', ['10.1.2.0', '10.1.2.1', '10.1.2.128', '10.1.2.255'], ['10.1.1.255', '10.1.3.0', '10.1.20.0', '11.1.2.0']],
      ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
      ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], ['172.15.255.255', '172.32.0.0']],
      ['192.168.1.128/25', ['192.168.1.128', '192.168.1.255'], ['192.168.1.127', '192.168.2.0']],
      ['203.0.113.7/32', ['203.0.113.7'], ['203.0.113.6', '203.0.113.8']],
      ['203.0.113.6/31', ['203.0.113.6', '203.0.113.7'], ['203.0.113.5', '203.0.113.8']],
      ['0.0.0.0/1', ['0.0.0.0', '127.255.255.255'], ['128.0.0.0', '255.255.255.255']],
      ['128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['0.0.0.0', '127.255.255.255']],
      ['255.255.255.255/32', ['255.255.255.255'], ['255.255.255.254']],
    ];
    for (const [block, inside, outside] of cases) {
      const list = parsed([block]);
      for (const a of inside) expect(isAddressAllowed(list, a), `${a} in ${block}`).toBe(true);
      for (const a of outside) expect(isAddressAllowed(list, a), `${a} outside ${block}`).toBe(false);
    }
  });

  it('IPv6: first and last address in, the neighbours just outside out', () => {
    const cases: [string, string[], string[]][] = [
      ['2001:db8::/32', ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'], ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::']],
      ['2001:db8:0:1::/64', ['2001:db8:0:1::', '2001:db8:0:1:ffff:ffff:ffff:ffff'], ['2001:db8:0:0:ffff:ffff:ffff:ffff', '2001:db8:0:2::']],
      ['2001:db8::1/128', ['2001:db8::1', '2001:DB8:0:0:0:0:0:1'], ['2001:db8::', '2001:db8::2']],
      ['::1/128', ['::1'], ['::', '::2']],
    ];
    for (const [block, inside, outside] of cases) {
      const list = parsed([block]);
      for (const a of inside) expect(isAddressAllowed(list, a), `${a} in ${block}`).toBe(true);
      for (const a of outside) expect(isAddressAllowed(list, a), `${a} outside ${block}`).toBe(false);
    }
  });

  it('a list admits an address inside any one of its blocks', () => {
    const list = parsed(['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32']);
    for (const a of ['10.9.9.9', '192.168.1.77', '2001:db8::42']) expect(isAddressAllowed(list, a), a).toBe(true);
    for (const a of ['11.0.0.0', '192.168.2.1', '2001:db9::42', '::1']) expect(isAddressAllowed(list, a), a).toBe(false);
  });

  it('IPv4 blocks do not admit IPv6 callers and IPv6 blocks do not admit IPv4 callers', () => {
    expect(isAddressAllowed(parsed(['10.0.0.0/8']), '2001:db8::1')).toBe(false);
    expect(isAddressAllowed(parsed(['10.0.0.0/8']), '::a00:1')).toBe(false); // IPv4-compatible (deprecated), not mapped
    expect(isAddressAllowed(parsed(['2001:db8::/32']), '10.0.0.1')).toBe(false);
  });
});

describe('IPv4-mapped IPv6 callers', () => {
  it('match IPv4 blocks as the IPv4 address they carry', () => {
    const list = parsed(['10.0.0.0/8']);
    for (const a of ['::ffff:10.0.0.1', '::FFFF:10.0.0.1', '::ffff:a00:1', '0:0:0:0:0:ffff:10.255.255.255']) expect(isAddressAllowed(list, a), a).toBe(true);
    for (const a of ['::ffff:11.0.0.1', '::ffff:9.255.255.255', '::ffff:b00:1']) expect(isAddressAllowed(list, a), a).toBe(false);
  });

  it('parseAddress turns them into IPv4 and leaves other addresses alone', () => {
    expect(parseAddress('::ffff:10.0.0.1')?.kind()).toBe('ipv4');
    expect(parseAddress('::ffff:10.0.0.1')?.toString()).toBe('10.0.0.1');
    expect(parseAddress('10.0.0.1')?.kind()).toBe('ipv4');
    expect(parseAddress('2001:db8::1')?.kind()).toBe('ipv6');
    expect(parseAddress('::1')?.toString()).toBe('::1');
    for (const bad of ['', 'garbage', '1.2.3.4/32', '2001:db8::/32', '256.0.0.1', '::g']) expect(parseAddress(bad), bad).toBeNull();
  });

  it('an accepted IPv4-mapped block admits the callers it names', () => {
    // Callers in ::ffff:0:0/96 are matched as IPv4, so an accepted mapped block must be matched the
    // same way (or be refused on input); otherwise it is accepted but admits no one.
    const result = parseAllowList(['::ffff:10.0.0.0/104']);
    if (result.ok) {
      expect(isAddressAllowed(result.list, '::ffff:10.0.0.1')).toBe(true);
      expect(isAddressAllowed(result.list, '10.0.0.1')).toBe(true);
    }
  });
});

describe('the default and the empty list', () => {
  it('the default ["0.0.0.0/0"] admits IPv4 and IPv6 callers alike', () => {
    const list = parsed(['0.0.0.0/0']);
    for (const a of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '::1', '::', '2001:db8::1', 'fe80::1', '::ffff:1.2.3.4']) expect(isAddressAllowed(list, a), a).toBe(true);
    expect(new CompiledAllowList(list).everyone).toBe(true);
  });

  it('0.0.0.0/0 among other blocks still admits everyone', () => {
    expect(isAddressAllowed(['10.0.0.0/8', '0.0.0.0/0'], '2001:db8::1')).toBe(true);
    expect(isAddressAllowed(['10.0.0.0/8', '0.0.0.0/0'], '11.0.0.1')).toBe(true);
  });

  it('an empty list admits no one', () => {
    for (const a of ['0.0.0.0', '1.2.3.4', '127.0.0.1', '::1', '2001:db8::1', '::ffff:1.2.3.4']) expect(isAddressAllowed([], a), a).toBe(false);
    expect(new CompiledAllowList([]).everyone).toBe(false);
  });

  it('a restricted list refuses callers whose address cannot be read', () => {
    for (const a of ['', 'garbage', 'unknown', '10.0.0.1:443']) expect(isAddressAllowed(['10.0.0.0/8', '::/0'], a), a).toBe(false);
  });
});

describe('CompiledAllowList', () => {
  it('can be reused for many addresses', () => {
    const list = new CompiledAllowList(parsed(['10.0.0.0/8', '2001:db8::/32']));
    expect(list.everyone).toBe(false);
    expect([list.admits('10.0.0.1'), list.admits('11.0.0.1'), list.admits('2001:db8::1'), list.admits('10.0.0.2')]).toEqual([true, false, true, true]);
  });

  it('an unreadable stored entry admits no one and does not spoil the others', () => {
    const list = new CompiledAllowList(['nonsense', '10.0.0.0/8', '1.2.3.4/99']);
    expect(list.admits('10.0.0.1')).toBe(true);
    expect(list.admits('1.2.3.4')).toBe(false);
    expect(list.admits('11.0.0.1')).toBe(false);
  });
});

describe('locksOutCaller (seed 000: a client setting its own list must keep the calling address in it)', () => {
  it('is false when the new list admits the caller', () => {
    expect(locksOutCaller(['10.0.0.0/8'], '10.1.2.3')).toBe(false);
    expect(locksOutCaller(['192.168.0.0/16', '10.0.0.0/8'], '10.1.2.3')).toBe(false);
    expect(locksOutCaller(['10.1.2.3/32'], '10.1.2.3')).toBe(false);
    expect(locksOutCaller(['10.0.0.0/8'], '::ffff:10.1.2.3')).toBe(false);
    expect(locksOutCaller(['2001:db8::/32'], '2001:db8::5')).toBe(false);
    expect(locksOutCaller(['0.0.0.0/0'], '2001:db8::5')).toBe(false);
  });

  it('is true when the new list leaves the caller out', () => {
    expect(locksOutCaller(['10.0.0.0/8'], '11.0.0.1')).toBe(true);
    expect(locksOutCaller(['10.1.2.4/32'], '10.1.2.3')).toBe(true);
    expect(locksOutCaller([], '10.1.2.3')).toBe(true);
    expect(locksOutCaller(['2001:db8::/32'], '10.1.2.3')).toBe(true);
    expect(locksOutCaller(['10.0.0.0/8'], '2001:db8::5')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const ipv4Number = fc.nat({ max: IPV4_SIZE - 1 });
const ipv4Prefix = fc.integer({ min: 0, max: 32 });

/** A random address, biased so that about half fall inside the block and the block's edges come up often. */
function ipv4Candidate(base: number, prefix: number): fc.Arbitrary<number> {
  const network = ipv4Network(base, prefix);
  const size = 2 ** (32 - prefix);
  const edges = [network, network + size - 1, network - 1, network + size].filter((n) => n >= 0 && n < IPV4_SIZE);
  return fc.oneof(ipv4Number, fc.nat({ max: size - 1 }).map((offset) => network + offset), fc.constantFrom(...edges));
}

describe('properties', () => {
  it('IPv4 blocks admit exactly the addresses inside them (integer arithmetic as oracle)', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(ipv4Number, ipv4Prefix, fc.boolean())
          .chain(([base, prefix, bare]) => fc.tuple(fc.constant(base), fc.constant(prefix), fc.constant(bare), fc.array(ipv4Candidate(base, prefix), { minLength: 1, maxLength: 8 }))),
        ([base, prefix, bare, candidates]) => {
          const entry = bare && prefix === 32 ? ipv4(base) : `${ipv4(base)}/${prefix}`;
          const list = parsed([entry]);
          const compiled = new CompiledAllowList(list);
          for (const address of candidates) {
            const inside = ipv4Contains(base, prefix, address);
            expect(isAddressAllowed(list, ipv4(address)), `${ipv4(address)} vs ${entry}`).toBe(inside);
            expect(compiled.admits(ipv4(address))).toBe(inside);
            expect(compiled.admits(`::ffff:${ipv4(address)}`), `mapped ${ipv4(address)} vs ${entry}`).toBe(inside);
            expect(locksOutCaller(list, ipv4(address))).toBe(!inside);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a list of IPv4 blocks admits an address when any block contains it', () => {
    const block = fc.tuple(ipv4Number, ipv4Prefix);
    fc.assert(
      fc.property(fc.array(block, { maxLength: 5 }), fc.array(ipv4Number, { minLength: 1, maxLength: 10 }), (blocks, addresses) => {
        const list = parsed(blocks.map(([b, p]) => `${ipv4(b)}/${p}`));
        for (const a of addresses) {
          const inside = blocks.some(([b, p]) => ipv4Contains(b, p, a));
          expect(isAddressAllowed(list, ipv4(a)), `${ipv4(a)} vs ${JSON.stringify(list)}`).toBe(inside);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('IPv6 blocks admit exactly the addresses inside them (BigInt arithmetic as oracle)', () => {
    const address = fc.bigInt({ min: 0n, max: IPV6_MAX }).filter((n) => !isIpv4Mapped(n));
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 128 }), fc.array(address, { maxLength: 4 }), fc.array(fc.bigInt({ min: 0n, max: IPV6_MAX }), { maxLength: 4 }), (base, prefix, others, offsets) => {
        const shift = IPV6_BITS - BigInt(prefix);
        const network = (base >> shift) << shift;
        const hostMask = (1n << shift) - 1n;
        const inside = offsets.map((o) => network | (o & hostMask)).filter((n) => !isIpv4Mapped(n));
        const list = parsed([`${ipv6(base)}/${prefix}`]);
        for (const a of [...inside, ...others]) {
          expect(isAddressAllowed(list, ipv6(a)), `${ipv6(a)} vs ${list[0]}`).toBe(ipv6Contains(base, prefix, a));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every accepted bare address admits itself', () => {
    const v6 = fc.bigInt({ min: 0n, max: IPV6_MAX }).filter((n) => !isIpv4Mapped(n)).map(ipv6);
    fc.assert(
      fc.property(fc.oneof(ipv4Number.map(ipv4), v6, fc.ipV4(), fc.ipV6()), (address) => {
        fc.pre(parseAddress(address)?.kind() !== 'ipv4' || !address.includes(':')); // mapped forms: covered above
        const result = parseAllowList([address]);
        if (result.ok) expect(isAddressAllowed(result.list, address), `${address} -> ${result.list[0]}`).toBe(true);
      }),
    );
  });

  const entryText = fc.oneof(
    fc.tuple(ipv4Number, fc.option(fc.integer({ min: 0, max: 40 }))).map(([n, p]) => (p === null ? ipv4(n) : `${ipv4(n)}/${p}`)),
    fc.tuple(fc.bigInt({ min: 0n, max: IPV6_MAX }), fc.option(fc.integer({ min: 0, max: 140 })), fc.boolean()).map(([n, p, upper]) => {
      const text = p === null ? ipv6(n) : `${ipv6(n)}/${p}`;
      return upper ? text.toUpperCase() : text;
    }),
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('0.0.0.0/0', '::/0', ' 10.0.0.0/8 ', '10.0.0.1', '10.0.0.1/32'),
  );

  it('normalization is idempotent: parse(parse(x).list) equals parse(x)', () => {
    fc.assert(
      fc.property(fc.array(entryText, { maxLength: 8 }), (entries) => {
        const first = parseAllowList(entries);
        if (!first.ok) return;
        expect(parseAllowList(first.list)).toEqual(first);
        expect(new Set(first.list).size).toBe(first.list.length);
      }),
      { numRuns: 500 },
    );
  });

  it('normalization does not change who is admitted', () => {
    fc.assert(
      fc.property(fc.array(entryText, { maxLength: 5 }), fc.array(fc.oneof(ipv4Number.map(ipv4), fc.ipV6()), { minLength: 1, maxLength: 5 }), (entries, callers) => {
        const first = parseAllowList(entries);
        if (!first.ok) return;
        const again = parseAllowList(first.list);
        if (!again.ok) throw new Error('normalized list refused');
        for (const caller of callers) expect(isAddressAllowed(again.list, caller)).toBe(isAddressAllowed(first.list, caller));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws, and always answers a well-formed verdict, for any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()), fc.array(entryText)), (value) => {
        const result = parseAllowList(value);
        if (result.ok) {
          expect(Array.isArray(result.list)).toBe(true);
          for (const e of result.list) expect(typeof e).toBe('string');
        } else {
          expect(typeof result.entry).toBe('string');
          expect(typeof result.reason).toBe('string');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('isAddressAllowed never throws, whatever the caller address', () => {
    fc.assert(
      fc.property(fc.string(), fc.boolean(), (address, open) => {
        const verdict = isAddressAllowed(open ? ['0.0.0.0/0'] : ['10.0.0.0/8', '2001:db8::/32'], address);
        expect(typeof verdict).toBe('boolean');
      }),
    );
  });
});
