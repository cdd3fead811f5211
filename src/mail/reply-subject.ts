// The subject of an outbound reply: exactly one "Re: " in front of the
// conversation's subject, whatever prefixes the mail clients of the thread
// stacked up ("RE: AW: Fwd: Re[2]: …"). Case tags such as "[#42]" stay: the
// reply-token rule threads a customer's answer by them.

// The reply/forward prefixes of src/mail/parse/subject.ts (same languages, same
// reason to leave single letters out), kept here because that module also
// drops the case tag, which a reply must keep.
const PREFIX =
  /^(?:re|fwd?|aw|wg|antw(?:oord|ort)?|doorst|sv|vs|vl|tr|r[ée]f|rv|enc|res|rif|odp|pd|ynt|[iİ]lt|απ|σχετ|πρθ|回复|答复|转发|回覆|轉寄)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*/iu;
const CASE_TAG = /^\[#\d+\]\s*/;

const NO_SUBJECT = '(no subject)';

/** "Re: <subject>" with one "Re:", case tags kept in order, "(no subject)" when empty. */
export function replySubject(subject: string | null | undefined): string {
  // Header safety: a line break in a subject would end the header.
  let rest = (subject ?? '').replace(/\s+/gu, ' ').trim();
  const tags: string[] = [];
  // Bounded: a subject of a hundred "Re: " is still finite work.
  for (let i = 0; i < 100; i++) {
    const tag = CASE_TAG.exec(rest);
    const match = PREFIX.exec(rest) ?? tag;
    if (!match) break;
    if (match === tag) tags.push(tag[0].trim());
    rest = rest.slice(match[0].length);
  }
  const core = [...tags, rest].filter(Boolean).join(' ');
  return `Re: ${core || NO_SUBJECT}`;
}
