// The whole shared corpus of real-world mail through the drop folder of a real
// runtime: every file ends in processed/ (stored, or a duplicate of something
// stored) or in failed/ with its reason, and the runtime survives all of it.
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
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import mongoose, { type Connection } from 'mongoose';
import {
  parseEmail,
  syntheticMessageId,
  type AttachmentSink,
} from '../../../src/mail/parse/index.ts';
import { bareMessageId } from '../../../src/store/index.ts';
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

const discardingSink: AttachmentSink = {
  async store(_meta, content: Readable) {
    let size = 0;
    for await (const chunk of content) size += (chunk as Buffer).length;
    return { id: 'discarded', size_bytes: size };
  },
};

/** The dedupe key the ingest computes for a raw message. */
async function dedupeKeyOf(raw: Buffer): Promise<string> {
  const parsed = await parseEmail(raw, discardingSink);
  return bareMessageId(parsed.message_id ?? syntheticMessageId(parsed, raw));
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
          .project<{
            _id: string;
            raw_source_id: string | null;
            created_at: Date;
            email: { message_id: string };
          }>({
            raw_source_id: 1,
            created_at: 1,
            'email.message_id': 1,
          })
          .toArray();
        const storedIds = new Set(stored.map((m) => m.email.message_id));
        assert.equal(storedIds.size, stored.length, 'no Message-ID is stored twice');

        // Each stored message's raw source is one corpus file, byte for byte.
        const bucket = new mongoose.mongo.GridFSBucket(db.db as mongoose.mongo.Db, {
          bucketName: 'files',
        });
        const storedShas = new Set<string>();
        for (const message of stored) {
          assert.ok(message.raw_source_id, `message ${message._id} keeps its raw source`);
          const hash = createHash('sha256');
          for await (const chunk of bucket.openDownloadStream(
            new mongoose.Types.ObjectId(message.raw_source_id),
          ))
            hash.update(chunk as Buffer);
          storedShas.add(hash.digest('hex'));
        }
        assert.equal(
          storedShas.size,
          stored.length,
          'every stored message has a raw source of its own',
        );

        // A processed file not stored verbatim must be a duplicate of a stored message.
        let duplicates = 0;
        const duplicateGroups = new Map<string, string[]>();
        for (const file of files) {
          if (!processed.has(file.dropName) || storedShas.has(file.sha256)) continue;
          const key = await dedupeKeyOf(readFileSync(join(corpus, file.file)));
          assert.ok(
            storedIds.has(key),
            `${file.file} was processed but neither stored nor a duplicate (key ${key})`,
          );
          duplicates += 1;
          duplicateGroups.set(key, [...(duplicateGroups.get(key) ?? []), file.file]);
        }
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
        const failures = await runtime.context.store.inbound.listFailures(ACCOUNT, 10_000);
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
              deduped_duplicates: duplicates + byteIdentical,
              byte_identical_files: byteIdentical,
              duplicate_keys: duplicateGroups.size,
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
        // Which files were deduplicated, one Message-ID (or synthetic id) a line.
        console.log(
          [...duplicateGroups]
            .map(([key, names]) => `  deduplicated under ${key}: ${names.join(', ')}`)
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
