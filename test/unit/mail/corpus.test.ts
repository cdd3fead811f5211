// Every message of the shared real-world corpus through parseEmail: none may
// throw or hang, and the noise classification must agree with the corpus
// MANIFEST where its traits are unambiguous. The traits come from a heuristic
// script (corpus README), so agreement is measured and held to a high ratio
// rather than to 100%. The figures are printed for the record.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEmail } from '../../../src/mail/parse/index.ts';
import type { ParsedEmail } from '../../../src/mail/parse/index.ts';
import { countingSink } from './support/sinks.ts';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const corpusDir = join(repoRoot, '..', 'shared', 'corpus');
const manifestPath = join(corpusDir, 'MANIFEST.tsv');
// The corpus README: no message took simpleParser more than about 1 s.
const PER_MESSAGE_LIMIT_MS = 30_000;

interface Entry {
  file: string;
  traits: Set<string>;
}

function readManifest(): Entry[] {
  const lines = readFileSync(manifestPath, 'utf8').trim().split('\n').slice(1);
  return lines
    .map((line) => line.split('\t'))
    .map(([file = '', , , , traits = '']) => ({ file, traits: new Set(traits.split(',')) }))
    .filter((entry) => !entry.file.endsWith('.yml')); // Zammad's expected-parse files
}

async function parseWithDeadline(file: string): Promise<ParsedEmail> {
  const raw = readFileSync(join(corpusDir, file));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${file}: no result after ${PER_MESSAGE_LIMIT_MS} ms`)),
      PER_MESSAGE_LIMIT_MS,
    );
  });
  try {
    return await Promise.race([parseEmail(raw, countingSink()), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function ratio(hits: number, total: number): string {
  return total === 0 ? 'n/a' : `${hits}/${total} (${((100 * hits) / total).toFixed(1)}%)`;
}

test(
  'the real-world corpus parses without a throw or a hang, and classifies as its manifest says',
  { timeout: 20 * 60_000 },
  async (t) => {
    if (!existsSync(manifestPath)) {
      t.skip(`corpus not found at ${corpusDir}`);
      return;
    }
    const entries = readManifest();
    const results = new Map<string, ParsedEmail>();
    const thrown: string[] = [];
    let slowest = { file: '', ms: 0 };
    for (const entry of entries) {
      const started = performance.now();
      try {
        results.set(entry.file, await parseWithDeadline(entry.file));
      } catch (err) {
        thrown.push(`${entry.file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { file: entry.file, ms };
    }

    const parsed = [...results.values()];
    const byReason = new Map<string, number>();
    for (const r of parsed) {
      const key = r.auto_submitted_reason ?? 'none';
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    }
    const withTrait = (trait: string): Entry[] => entries.filter((e) => e.traits.has(trait));
    const reasonOf = (e: Entry): string | null =>
      results.get(e.file)?.auto_submitted_reason ?? null;

    const dsn = withTrait('dsn');
    const dsnAsBounce = dsn.filter((e) => reasonOf(e) === 'bounce');
    const dsnWithOriginal = dsn.filter((e) => results.get(e.file)?.bounce?.original_message_id);
    const bounce = withTrait('bounce');
    const bounceAsBounce = bounce.filter((e) => reasonOf(e) === 'bounce');
    const bounceWithOriginal = parsed.filter((r) => r.bounce?.original_message_id).length;
    const autoreply = withTrait('autoreply');
    const autoreplyFlagged = autoreply.filter((e) => results.get(e.file)?.auto_submitted);
    const autoreplyAsReply = autoreply.filter((e) => reasonOf(e) === 'auto-reply');
    const lists = withTrait('mailing-list');
    const listsFlagged = lists.filter((e) => results.get(e.file)?.auto_submitted);
    const autoSubmitted = withTrait('auto-submitted');
    const autoSubmittedFlagged = autoSubmitted.filter((e) => results.get(e.file)?.auto_submitted);
    // Ordinary mail: no noise trait at all. Flagging it would silence an agent.
    const noiseTraits = [
      'bounce',
      'dsn',
      'autoreply',
      'auto-submitted',
      'mailing-list',
      'mdn',
      'arf',
      'feedback-report',
      'challenge-response',
      'spam',
      'precedence:bulk',
      'precedence:list',
      'precedence:junk',
    ];
    const ordinary = entries.filter((e) => !noiseTraits.some((n) => e.traits.has(n)));
    const ordinaryFlagged = ordinary.filter((e) => results.get(e.file)?.auto_submitted);

    console.log('corpus figures');
    console.log(`  messages:              ${entries.length}`);
    console.log(`  parsed (no throw):     ${parsed.length}`);
    console.log(`  parsed clean:          ${parsed.filter((r) => r.parse_error === null).length}`);
    console.log(`  with parse_error:      ${parsed.filter((r) => r.parse_error !== null).length}`);
    console.log(`  with charset warnings: ${parsed.filter((r) => r.charset_warnings).length}`);
    console.log(`  attachments stored:    ${parsed.reduce((n, r) => n + r.attachments.length, 0)}`);
    console.log(
      `  auto-submitted by reason: ${[...byReason].map(([k, v]) => `${k}=${v}`).join(', ')}`,
    );
    console.log(
      `  bounces with an original message id: ${bounceWithOriginal} of ${byReason.get('bounce') ?? 0}`,
    );
    console.log(`  trait dsn -> bounce:          ${ratio(dsnAsBounce.length, dsn.length)}`);
    console.log(`  trait dsn -> original id:     ${ratio(dsnWithOriginal.length, dsn.length)}`);
    console.log(`  trait bounce -> bounce:       ${ratio(bounceAsBounce.length, bounce.length)}`);
    console.log(
      `  trait autoreply -> flagged:   ${ratio(autoreplyFlagged.length, autoreply.length)} (as auto-reply: ${autoreplyAsReply.length})`,
    );
    console.log(
      `  trait auto-submitted -> flagged: ${ratio(autoSubmittedFlagged.length, autoSubmitted.length)}`,
    );
    console.log(`  trait mailing-list -> flagged: ${ratio(listsFlagged.length, lists.length)}`);
    console.log(
      `  ordinary mail flagged:        ${ratio(ordinaryFlagged.length, ordinary.length)}`,
    );
    console.log(`  slowest message: ${slowest.file} ${slowest.ms.toFixed(0)} ms`);
    if (process.env.CORPUS_VERBOSE) {
      for (const e of dsn.filter((x) => reasonOf(x) !== 'bounce'))
        console.log(`  dsn not bounce: ${e.file} -> ${reasonOf(e)}`);
      for (const e of bounce.filter((x) => reasonOf(x) !== 'bounce'))
        console.log(`  bounce not bounce: ${e.file} -> ${reasonOf(e)}`);
      for (const e of dsn.filter((x) => !results.get(x.file)?.bounce?.original_message_id))
        console.log(`  dsn without original id: ${e.file}`);
      for (const e of autoreply.filter((x) => !results.get(x.file)?.auto_submitted))
        console.log(`  autoreply missed: ${e.file}`);
      for (const e of lists.filter((x) => !results.get(x.file)?.auto_submitted))
        console.log(`  list missed: ${e.file}`);
      for (const e of ordinaryFlagged)
        console.log(`  ordinary flagged: ${e.file} -> ${reasonOf(e)}`);
      for (const [f, r] of results)
        if (r.parse_error) console.log(`  parse_error: ${f}: ${r.parse_error}`);
    }

    assert.deepEqual(thrown, [], 'parseEmail threw or hung');
    assert.equal(parsed.length, entries.length);
    assert.ok(dsnAsBounce.length >= 0.95 * dsn.length, 'dsn messages classified as bounces');
    assert.ok(
      dsnWithOriginal.length >= 0.8 * dsn.length,
      'dsn messages with the original message id',
    );
    assert.ok(
      bounceAsBounce.length >= 0.85 * bounce.length,
      'bounce messages classified as bounces',
    );
    assert.ok(autoreplyFlagged.length >= 0.9 * autoreply.length, 'auto-replies flagged');
    assert.ok(autoSubmittedFlagged.length >= 0.95 * autoSubmitted.length, 'auto-submitted flagged');
    assert.ok(listsFlagged.length >= 0.9 * lists.length, 'list mail flagged');
    assert.ok(ordinaryFlagged.length <= 0.05 * ordinary.length, 'ordinary mail left alone');
  },
);
