// Subject normalisation for display and for threading heuristics: the same
// conversation's subjects differ only by reply/forward prefixes, which each
// mail client writes in its user's language, and by our "[#n]" case tag.

// Reply and forward prefixes, optionally counted ("Re[2]:", "Re(3):", "Re^2:").
// en Re/Fwd/Fw, de AW/WG/Antw, nl Antw/Doorst, sv/da/no SV/VS/Fwd, fi VS/VL,
// fr TR/Réf, es/pt RV/Enc/Res, it Rif, pl Odp/PD, tr YNT/İLT, el ΑΠ/ΣΧΕΤ/ΠΡΘ,
// zh 回复/答复/转发/回覆/轉寄. Single letters (Italian "R:", "I:") are left
// out: too easily part of a real subject ("R: data frames").
const PREFIX =
  /^\s*(?:re|fwd?|aw|wg|antw(?:oord|ort)?|doorst|sv|vs|vl|tr|r[ée]f|rv|enc|res|rif|odp|pd|ynt|[iİ]lt|απ|σχετ|πρθ|回复|答复|转发|回覆|轉寄)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*/iu;
const CASE_TAG = /\[#\d+\]/g;

/** The subject without reply/forward prefixes and "[#n]" tags, whitespace collapsed. */
export function normalizeSubject(subject: string): string {
  let current = subject.replace(CASE_TAG, ' ').replace(/\s+/g, ' ').trim();
  // Bounded: a subject of a hundred "Re: " is still finite work.
  for (let i = 0; i < 100; i++) {
    const next = current.replace(PREFIX, '');
    if (next === current) break;
    current = next.trim();
  }
  return current;
}
