// The whole shared corpus of real-world mail through the drop folder of a real
// runtime: every file ends in processed/ (stored, or a duplicate of something
// stored) or in failed/ with its reason, and the runtime survives all of it.
// "A duplicate" is judged independently of the code under test: mailparser's
// own simpleParser reads each file, and two files are the same mail when the
// Message-ID and everything a reader sees (sender, recipients, date, subject,
// text, HTML, attachments) agree. No different mail may be merged away (the
// corpus reuses Message-IDs across different mails).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import mongoose, { type Connection } from 'mongoose';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const corpus = join(repoRoot, '..', 'shared', 'corpus');
const ACCOUNT = 'acme';
const MAILBOX = 'corpus';
// The whole corpus (~17 MB, ~600 messages) drains in 20-30 s on two cores; far
// slower means the ingest slowed down (profile it), not that this should wait longer.
const DRAIN_TIMEOUT_MS = 170_000;

interface CorpusFile {
  /** Path relative to the corpus folder (MANIFEST.tsv's `file`). */
  file: string;
  /** Name in the drop folder: `<n>.eml`. */
  dropName: string;
  sha256: string;
}

/** The messages of the corpus: MANIFEST.tsv's `file` column, without Zammad's expected-parse .yml files. */
function readManifest(): { messages: CorpusFile[]; notMessages: number } {
  const lines = readFileSync(join(corpus, 'MANIFEST.tsv'), 'utf8').split('\n').filter(Boolean);
  const header = (lines.shift() ?? '').split('\t');
  const fileColumn = header.indexOf('file');
  const traitsColumn = header.indexOf('traits');
  assert.ok(fileColumn >= 0, 'MANIFEST.tsv has a file column');
  const messages: CorpusFile[] = [];
  let notMessages = 0;
  for (const line of lines) {
    const columns = line.split('\t');
    const file = columns[fileColumn] ?? '';
    const traits = (columns[traitsColumn] ?? '').split(',');
    if (traits.includes('expected-parse-yml')) {
      notMessages += 1; // A parse result in YAML, not a message.
      continue;
    }
    const content = readFileSync(join(corpus, file));
    messages.push({
      file,
      dropName: `${messages.length + 1}.eml`,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
  }
  return { messages, notMessages };
}

/** `<ts>-<pid>-<n>.eml` (the claimed name) back to `<n>.eml`. */
function dropNameOf(claimed: string): string {
  return claimed.replace(/^[^-]+-\d+-/, '');
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

// Line endings and surrounding blanks differ between two deliveries of one mail.
function normalized(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).join(',');
}

/**
 * What makes a mail the mail it is, read by simpleParser (not by the code under
 * test): two files with the same signature are one mail delivered twice.
 */
async function signatureOf(raw: Buffer): Promise<string> {
  // simpleParser reads CR-only files (old Mac line endings) as one long header.
  const parsed = await simpleParser(
    Buffer.from(raw.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1'),
  );
  return sha256(
    [
      (parsed.messageId ?? '').replace(/^<|>$/g, '').replace(/\s+/g, ''),
      (parsed.from?.value[0]?.address ?? '').toLowerCase(),
      addressesOf(parsed.to),
      addressesOf(parsed.cc),
      parsed.date ? parsed.date.toISOString() : '',
      normalized(parsed.subject ?? ''),
      normalized(parsed.text ?? ''),
      normalized(typeof parsed.html === 'string' ? parsed.html : ''),
      parsed.attachments.map((a) => `${a.filename ?? ''}:${sha256(a.content)}`).join(','),
    ].join('\0'),
  );
}

const present = existsSync(join(corpus, 'MANIFEST.tsv'));

describe(
  'the shared corpus through the drop folder',
  { skip: present ? false : `no corpus at ${corpus}` },
  () => {
    let drop: string;
    let outbox: string;
    let runtime: TestRuntime;
    let db: Connection;

    before(async () => {
      drop = mkdtempSync(join(tmpdir(), 'postroom-corpus-drop-'));
      outbox = mkdtempSync(join(tmpdir(), 'postroom-corpus-outbox-'));
      runtime = await startTestRuntime(
        accountConfig([
          {
            id: MAILBOX,
            address: 'support@acme.test',
            drop_folder: drop,
            outbox_folder: outbox,
            agents: [],
          },
        ]),
        { roles: 'watcher,ingest' },
      );
      db = await mongoose.createConnection(runtime.mongoUri).asPromise();
    });

    after(async () => {
      await db?.close();
      await runtime?.stop();
      if (runtime) {
        await dropRedisPrefix(runtime.prefix);
        await dropDatabase(runtime.mongoUri);
      }
      for (const dir of [drop, outbox]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test(
      'every message is stored once, deduplicated, or failed with its reason',
      { timeout: 240_000 },
      async () => {
        const { messages: files, notMessages } = readManifest();
        const started = Date.now();
        for (const file of files) copyFileSync(join(corpus, file.file), join(drop, file.dropName));

        const processedDir = join(drop, 'processed');
        const failedDir = join(drop, 'failed');
        const processingDir = join(drop, '.processing');
        const settled = (): boolean => {
          const waiting = readdirSync(drop).filter((name) => name.endsWith('.eml')).length;
          return waiting === 0 && readdirSync(processingDir).length === 0;
        };
        await waitUntil(settled, {
          timeoutMs: DRAIN_TIMEOUT_MS,
          intervalMs: 250,
          what: 'every corpus file to leave the drop folder and .processing/',
        });
        const drainMs = Date.now() - started;

        // Where each file ended.
        const processed = new Set(readdirSync(processedDir).map(dropNameOf));
        const failedNames = readdirSync(failedDir).filter((name) => !name.endsWith('.error.txt'));
        const failedReasons = new Map(
          failedNames.map((name) => [
            dropNameOf(name),
            readFileSync(join(failedDir, `${name}.error.txt`), 'utf8').trim(),
          ]),
        );
        for (const file of files) {
          assert.ok(
            processed.has(file.dropName) || failedReasons.has(file.dropName),
            `${file.file} (${file.dropName}) is in neither processed/ nor failed/`,
          );
        }
        assert.equal(
          processed.size + failedReasons.size,
          files.length,
          'each file ended in exactly one place',
        );

        // What the store holds.
        const chatMessages = db.collection('chat_messages');
        const stored = await chatMessages
          .find({ account_id: ACCOUNT, mailbox_id: MAILBOX, kind: 'email' })
          .sort({ created_at: 1, _id: 1 })
          .project<{
            _id: string;
            raw_source_id: string | null;
            created_at: Date;
            email: { message_id: string; dedupe_key: string; message_id_reused: boolean };
          }>({
            raw_source_id: 1,
            created_at: 1,
            'email.message_id': 1,
            'email.dedupe_key': 1,
            'email.message_id_reused': 1,
          })
          .toArray();
        assert.equal(
          new Set(stored.map((m) => m.email.dedupe_key)).size,
          stored.length,
          'no dedupe key is stored twice',
        );
        // A Message-ID stored more than once: the first holds it, every later one is flagged.
        const byMessageId = new Map<string, boolean[]>();
        for (const m of stored) {
          byMessageId.set(m.email.message_id, [
            ...(byMessageId.get(m.email.message_id) ?? []),
            m.email.message_id_reused,
          ]);
        }
        for (const [id, flags] of byMessageId) {
          assert.deepEqual(
            flags,
            flags.map((_, i) => i > 0),
            `the copies of ${id}: only the first unflagged`,
          );
        }

        // Each stored message's raw source is one corpus file, byte for byte.
        const bucket = new mongoose.mongo.GridFSBucket(db.db as mongoose.mongo.Db, {
          bucketName: 'files',
        });
        const storedShas = new Set<string>();
        const storedSignatures = new Set<string>();
        const signatureBySha = new Map<string, string>();
        for (const file of files) {
          signatureBySha.set(file.sha256, await signatureOf(readFileSync(join(corpus, file.file))));
        }
        for (const message of stored) {
          assert.ok(message.raw_source_id, `message ${message._id} keeps its raw source`);
          const hash = createHash('sha256');
          for await (const chunk of bucket.openDownloadStream(
            new mongoose.Types.ObjectId(message.raw_source_id),
          ))
            hash.update(chunk as Buffer);
          const sha = hash.digest('hex');
          storedShas.add(sha);
          const signature = signatureBySha.get(sha);
          assert.ok(signature, `message ${message._id} is a corpus file`);
          storedSignatures.add(signature);
        }
        assert.equal(
          storedShas.size,
          stored.length,
          'every stored message has a raw source of its own',
        );

        // A processed file not stored verbatim must be a true duplicate of a stored
        // message (the same signature): never a different mail merged away.
        let duplicates = 0;
        const duplicateGroups = new Map<string, string[]>();
        for (const file of files) {
          if (!processed.has(file.dropName) || storedShas.has(file.sha256)) continue;
          const signature = signatureBySha.get(file.sha256) ?? '';
          assert.ok(
            storedSignatures.has(signature),
            `${file.file} was processed but neither stored nor a copy of a stored mail`,
          );
          duplicates += 1;
          duplicateGroups.set(signature, [...(duplicateGroups.get(signature) ?? []), file.file]);
        }
        // Which is: as many different mails stored as the processed files hold.
        const processedSignatures = new Set(
          files
            .filter((f) => processed.has(f.dropName))
            .map((f) => signatureBySha.get(f.sha256) ?? ''),
        );
        assert.equal(
          storedSignatures.size,
          processedSignatures.size,
          'every different mail is stored',
        );
        const storedFromCorpus = files.filter(
          (f) => processed.has(f.dropName) && storedShas.has(f.sha256),
        );
        const byteIdentical =
          storedFromCorpus.length - new Set(storedFromCorpus.map((f) => f.sha256)).size;
        assert.equal(
          stored.length + duplicates + byteIdentical + failedReasons.size,
          files.length,
          'every file is accounted for',
        );

        // Failures: recorded in MongoDB with the same reason; none for anything but the message itself.
        const records = await runtime.context.store.inbound.listFailures(ACCOUNT, 10_000);
        const failures = records.filter((f) => (f.kind ?? 'failed') === 'failed');
        const quarantined = records.length - failures.length;
        // None of the corpus comes from support@acme.test: nothing is set aside as our own.
        assert.equal(quarantined, 0, 'nothing quarantined');
        assert.equal(failures.length, failedReasons.size, 'one failure record per file in failed/');
        for (const failure of failures) {
          const name = dropNameOf(failure.source.name ?? '');
          assert.ok(
            failedReasons.get(name)?.includes(failure.reason),
            `failed/${name}.error.txt names its reason`,
          );
        }
        const unexpected = [...failedReasons].filter(([, reason]) => !/pars/i.test(reason));
        assert.deepEqual(unexpected, [], 'no file failed for anything but an unreadable message');

        // Ingest attempts that failed and were retried (BullMQ counts the successful attempt too).
        const completedJobs = await runtime.context.queues
          .queue('mail.ingest')
          .getJobs(['completed'], 0, -1);
        const retried = completedJobs.filter((job) => job.attemptsMade > 1);
        // Starts that were not attempts: a reply waiting for its parent (ingest-worker.ts).
        const waits = completedJobs.reduce(
          (sum, job) => sum + Math.max(0, job.attemptsStarted - job.attemptsMade),
          0,
        );

        // Figures.
        const count = (filter: Record<string, unknown>): Promise<number> =>
          chatMessages.countDocuments({
            account_id: ACCOUNT,
            mailbox_id: MAILBOX,
            kind: 'email',
            ...filter,
          });
        const parseErrors = await count({ parse_error: { $type: 'string' } });
        const synthetic = await count({ 'email.message_id': /@no-message-id\.invalid$/ });
        const reusedStored = await count({ 'email.message_id_reused': true });
        const autoSubmitted = await chatMessages
          .aggregate<{ _id: string | null; n: number }>([
            {
              $match: {
                account_id: ACCOUNT,
                mailbox_id: MAILBOX,
                kind: 'email',
                'email.auto_submitted': true,
              },
            },
            { $group: { _id: '$email.auto_submitted_reason', n: { $sum: 1 } } },
          ])
          .toArray();
        // A bounce alert says "our message bounced": it must point at a message we sent, never at mail we received.
        const alerts = await chatMessages.find({ account_id: ACCOUNT, kind: 'alert' }).toArray();
        for (const alert of alerts) {
          const bounced = await chatMessages.findOne({ _id: alert.reply_to_id });
          assert.ok(
            bounced && !bounced.raw_source_id,
            `alert ${String(alert._id)} points at a message we received`,
          );
        }
        const conversations = await db
          .collection('conversations')
          .countDocuments({ account_id: ACCOUNT, mailbox_id: MAILBOX });

        // Ingest rate in the first and second half of the run: a store that slows down as it fills shows here.
        const times = stored.map((m) => m.created_at.getTime()).sort((a, b) => a - b);
        const half = Math.floor(times.length / 2);
        const rate = (from: number, to: number): number =>
          Math.round(
            ((to - from) / Math.max(1, (times[to] ?? 0) - (times[from] ?? 0))) * 1000 * 10,
          ) / 10;

        console.log(
          JSON.stringify(
            {
              corpus_files: files.length + notMessages,
              messages: files.length,
              skipped_not_messages: notMessages,
              drain_ms: drainMs,
              stored_per_second: {
                first_half: rate(0, half),
                second_half: rate(half, times.length - 1),
              },
              stored: stored.length,
              stored_with_synthetic_id: synthetic,
              message_ids_stored_more_than_once: [...byMessageId.values()].filter(
                (flags) => flags.length > 1,
              ).length,
              stored_under_a_reused_message_id: reusedStored,
              quarantined,
              deduped_duplicates: duplicates + byteIdentical,
              byte_identical_files: byteIdentical,
              duplicate_groups: duplicateGroups.size,
              with_parse_error: parseErrors,
              auto_submitted_by_reason: Object.fromEntries(
                autoSubmitted.map((r) => [r._id ?? 'none', r.n]),
              ),
              bounce_alerts: alerts.length,
              failed: failedReasons.size,
              failed_reasons: Object.fromEntries(
                [...failedReasons].map(([name, reason]) => [
                  files.find((f) => f.dropName === name)?.file ?? name,
                  reason,
                ]),
              ),
              conversations,
              ingest_jobs_completed: completedJobs.length,
              ingest_waits_for_a_parent: waits,
              ingest_jobs_retried: Object.fromEntries(
                retried.map((job) => [
                  String(job.id),
                  `${job.attemptsMade} attempts, last error: ${job.failedReason}`,
                ]),
              ),
            },
            null,
            2,
          ),
        );
        // Which files were deduplicated, one mail a line.
        console.log(
          [...duplicateGroups]
            .map(([, names]) => `  deduplicated as copies of one mail: ${names.join(', ')}`)
            .join('\n'),
        );

        // Still up: a message dropped after all of that is stored.
        await assertStillIngests(runtime, drop);
      },
    );
  },
);

async function assertStillIngests(runtime: TestRuntime, drop: string): Promise<void> {
  const id = `after-corpus-${Date.now()}@acme.test`;
  const raw = [
    'From: Jane Customer <jane@example.com>',
    'To: Acme Support <support@acme.test>',
    'Subject: Still there?',
    `Message-ID: <${id}>`,
    'Date: Mon, 23 Nov 2026 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello after the corpus.',
    '',
  ].join('\r\n');
  writeFileSync(join(drop, 'after.eml'), raw);
  await waitUntil(() => runtime.context.store.messages.findByEmailMessageId(ACCOUNT, MAILBOX, id), {
    timeoutMs: 20_000,
    what: 'a message dropped after the corpus to be stored',
  });
}
