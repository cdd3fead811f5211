// The Date header (RFC 5322 3.3). V8's Date parser reads the RFC 2822 form,
// obsolete two-digit years and the US zone names. Two traps are handled here:
// a date without a zone would be read in the server's local time zone, and a
// zone name V8 does not know ("CET", "MEZ") makes the whole date invalid.
// RFC 5322 4.3 says both mean "-0000", i.e. UTC. What still cannot be read,
// or reads into an absurd year, is no date (null) rather than "now", which is
// what mailparser substitutes.

const MIN_YEAR = 1900;
const MAX_YEAR = 2200;
const NUMERIC_ZONE = /\s[+-]\d{4}(?=\s|$)/;
const KNOWN_ZONE_NAME = /\s(?:UT|UTC|GMT|Z|[ECMP][SD]T)$/i;
const ZONE_NAME = /\s[A-Za-z]{1,5}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
// V8 makes a date out of almost anything ("sometime last week" is 2000-01-01),
// so an RFC 5322 date must at least name its month.
const MONTH = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/i;

export function parseDate(value: string | null): Date | null {
  if (value === null) return null;
  let text = value
    .replace(/\([^()]*\)/g, ' ') // comments: "+0100 (CET)"
    .replace(/\s+/g, ' ')
    .trim();
  // A bare number is a year or a timestamp to V8, never an RFC 5322 date.
  if (text === '' || /^\d+$/.test(text)) return null;
  if (!ISO_DATE.test(text)) {
    if (!MONTH.test(text)) return null;
    text = withZone(text);
  }
  const date = new Date(text);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < MIN_YEAR || year > MAX_YEAR) return null;
  return date;
}

function withZone(text: string): string {
  // No time of day at all: midnight (V8 would otherwise pick local midnight).
  if (!/\d:\d/.test(text)) return NUMERIC_ZONE.test(text) ? text : `${text} 00:00 +0000`;
  // "+0100 CET": the offset decides, the name after it is decoration.
  if (NUMERIC_ZONE.test(text)) return text.replace(/(\s[+-]\d{4})\s[A-Za-z]{1,5}$/, '$1');
  if (KNOWN_ZONE_NAME.test(text)) return text;
  if (ZONE_NAME.test(text) && !/\s[AP]M$/i.test(text)) return text.replace(ZONE_NAME, ' +0000');
  return `${text} +0000`;
}
