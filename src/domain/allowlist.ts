// IP allow lists ("whitelists") of API clients: IPv4 and IPv6 CIDR blocks (spec capture-api §1.6).
import ipaddr from 'ipaddr.js';

/**
 * `0.0.0.0/0` is the default list and, in the original IPv4-only service, meant "every caller"; it
 * keeps that meaning here, so IPv6 callers are not locked out of clients that never set a list.
 */
export const EVERYONE = '0.0.0.0/0';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Block = [Address, number];

export type AllowListParse = { ok: true; list: string[] } | { ok: false; entry: string; reason: string };

/** Validates and normalizes a list of CIDR blocks; a bare address means just that address. */
export function parseAllowList(entries: unknown): AllowListParse {
  if (!Array.isArray(entries)) return { ok: false, entry: JSON.stringify(entries) ?? String(entries), reason: 'must be a JSON array of CIDR blocks' };
  const list: string[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry !== 'string') return { ok: false, entry: JSON.stringify(entry) ?? String(entry), reason: 'each entry must be a string' };
    const normalized = normalizeBlock(entry.trim());
    if (typeof normalized !== 'string') return { ok: false, entry, reason: normalized.reason };
    if (!list.includes(normalized)) list.push(normalized);
  }
  return { ok: true, list };
}

function normalizeBlock(text: string): string | { reason: string } {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (!ipaddr.isValid(addressText)) return { reason: `invalid cidr address: ${text}` };
  const parsed = ipaddr.parse(addressText);
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return { reason: `invalid cidr address: ${text}` };
  const prefix = Number(prefixText);
  if (prefix > max) return { reason: `invalid cidr address: ${text}; value after slash must be ${max} or less` };
  if (parsed.kind() === 'ipv4') {
    // Four decimal parts without leading zeros: ipaddr.js would read `010` as octal 8.
    if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(addressText)) return { reason: `invalid cidr address: ${text}; write IPv4 addresses as four decimal numbers without leading zeros` };
    return `${parsed.toString()}/${prefix}`;
  }
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) {
    // Callers arrive as IPv4 addresses, so an IPv4-mapped block is kept in its IPv4 form.
    if (prefix < 96) return { reason: `invalid cidr address: ${text}; an IPv4-mapped block needs a prefix of at least 96` };
    return `${v6.toIPv4Address().toString()}/${prefix - 96}`;
  }
  return `${v6.toString()}/${prefix}`;
}

/** A parsed list, for matching many addresses against it cheaply. */
export class CompiledAllowList {
  readonly everyone: boolean;
  readonly #blocks: Block[];

  constructor(list: readonly string[]) {
    this.everyone = list.includes(EVERYONE);
    this.#blocks = list.flatMap((entry) => {
      try {
        return [ipaddr.parseCIDR(entry)];
      } catch {
        return []; // stored lists are validated on write; an unreadable entry admits no one
      }
    });
  }

  admits(address: string): boolean {
    if (this.everyone) return true;
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return this.#blocks.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  }
}

/** Parses a caller address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address. */
export function parseAddress(address: string): Address | null {
  if (!ipaddr.isValid(address)) return null;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

export function isAddressAllowed(list: readonly string[], address: string): boolean {
  return new CompiledAllowList(list).admits(address);
}

/**
 * Seed 000: a client that sets its own allow list must keep the calling address inside it, or the
 * call fails and nothing changes.
 */
export function locksOutCaller(newList: readonly string[], callerAddress: string): boolean {
  return !isAddressAllowed(newList, callerAddress);
}
