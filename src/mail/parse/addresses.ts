// Address headers to plain {name, address} lists, using mailparser's address
// parser (the same one its stream parser uses) at the edge.
import { parseAddressHeader } from 'mailparser';
import type { EmailAddress } from './types.ts';

/**
 * Parses one or more values of an address header. Groups are flattened to
 * their members, entries without an address are dropped, duplicates (by
 * case-insensitive address) are kept once, in order.
 */
export function parseAddressList(values: readonly string[]): EmailAddress[] {
  if (values.length === 0) return [];
  let parsed: { name: string; address?: string }[];
  try {
    parsed = parseAddressHeader([...values], { flatten: true }).value;
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: EmailAddress[] = [];
  for (const entry of parsed) {
    const address = normalizeAddress(entry.address ?? '');
    if (!isPlausible(address)) continue;
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: cleanName(entry.name), address });
  }
  return out;
}

/**
 * Trims the address and lower-cases its domain, which RFC 5321 makes
 * case-insensitive; the local part may in theory be case-sensitive, so it is
 * left as given.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().replace(/^<|>$/g, '');
  const at = trimmed.lastIndexOf('@');
  if (at === -1) return trimmed;
  return trimmed.slice(0, at) + '@' + trimmed.slice(at + 1).toLowerCase();
}

// RFC 5321 4.5.3.1: 64 + 1 + 255. A bare local part ("root") is kept: local
// mail systems send it; "@" alone or "a@" is damage, not an address.
function isPlausible(address: string): boolean {
  if (!address || address.length > 320 || /[\s<>]/.test(address)) return false;
  const at = address.lastIndexOf('@');
  return at === -1 || (at > 0 && at < address.length - 1);
}

function cleanName(name: string): string {
  return (
    name
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .replace(/[\x00-\x1f\x7f]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim()
  );
}
