// Canonical JSON (object keys sorted, undefined members dropped) for the
// Idempotency-Key request hash. Iterative on purpose: the body limits keep
// request bodies shallow (request-limits.ts), but a hash must never be the thing
// that overflows the stack on a body that slipped past them.

type Step = { text: string } | { value: unknown };

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number =>
  a < b ? -1 : a > b ? 1 : 0;

export function canonicalJson(root: unknown): string {
  const out: string[] = [];
  // A stack of what is left to write, the next step on top.
  const steps: Step[] = [{ value: root }];
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    if ('text' in step) {
      out.push(step.text);
      continue;
    }
    const value = step.value;
    if (value === undefined || value === null) {
      out.push('null');
    } else if (Array.isArray(value)) {
      out.push('[');
      steps.push({ text: ']' });
      for (let i = value.length - 1; i >= 0; i--) {
        steps.push({ value: value[i] });
        if (i > 0) steps.push({ text: ',' });
      }
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(byKey);
      out.push('{');
      steps.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, member] = entries[i] as [string, unknown];
        steps.push({ value: member });
        steps.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
    } else {
      out.push(JSON.stringify(value));
    }
  }
  return out.join('');
}
