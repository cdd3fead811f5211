// How text becomes index terms, shared by the index and its queries: lower
// case, accents folded, common words dropped, English plural and verb endings
// cut, so "refunds", "refunded" and "refund" meet.
const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have hello hi how i if ' +
    'in into is it its me my no not of on or our please so that the their them then there these ' +
    'they this to us was we were what when where which who why will with would you your thanks ' +
    'thank regards dear best'
  ).split(' '),
);

export function normalizeTerm(term: string): string | null {
  const folded = term.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  if (folded.length < 2 || STOP_WORDS.has(folded)) return null;
  return stem(folded);
}

function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word)) return word;
  for (const [suffix, keep] of [
    ['ies', 'y'],
    ['ing', ''],
    ['ed', ''],
    ['es', ''],
    ['s', ''],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      return word.slice(0, word.length - suffix.length) + keep;
    }
  }
  return word;
}
