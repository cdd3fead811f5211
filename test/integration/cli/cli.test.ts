// The `postroom` command line, run as a user runs it (a child process on the
// real entry point) against the test MongoDB, Redis, Dovecot, SMTP server and
// model server: apply-config, import of .eml files, an mbox and a Maildir
// (stored, duplicates, quarantined), cases list/approve/reject/retry through
// the approval rules, queues stats, and doctor naming what is wrong in words.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../../src/platform/logger.ts';
import { connectStore, type Store } from '../../../src/store/index.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { testImapServer } from '../../support/imap.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import { accountConfig, dropDatabase, dropRedisPrefix } from '../../support/runtime.ts';
import {
  startOpenAiTestServer,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { freePort } from '../../support/wait.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'postroom-cli-'));
const mongoUri = testMongoUri();
const prefix = uniqueName('cli');
const imap = testImapServer();
let smtp: SmtpTestServer;
let openai: OpenAiTestServer;
let store: Store;
const configPath = join(dir, 'config.json');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function postroom(args: string[], entry = 'workers/cli.ts'): Promise<Result> {
  const child = spawn(
    process.execPath,
    [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), join(root, entry), ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        MONGODB_URI: mongoUri,
        REDIS_URL: testRedisUrl(),
        POSTROOM_QUEUE_PREFIX: prefix,
        POSTROOM_CONFIG: configPath,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const first = newMessageId('first');

before(async () => {
  smtp = await startSmtpTestServer();
  openai = await startOpenAiTestServer();
  writeFileSync(
    configPath,
    JSON.stringify(
      accountConfig([
        {
          id: 'support',
          address: 'support@acme.test',
          drop_folder: join(dir, 'drop'),
          outbox_folder: join(dir, 'outbox'),
          agents: ['drafter'],
        },
      ]),
    ),
  );
  store = await connectStore(mongoUri, createLogger('silent'));
});

after(async () => {
  await store?.close();
  await smtp?.stop();
  await openai?.stop();
  await dropRedisPrefix(prefix);
  await dropDatabase(mongoUri);
  rmSync(dir, { recursive: true, force: true });
});

describe('postroom CLI', () => {
  test('bin/postroom.mjs runs the CLI', async () => {
    const help = await postroom(['--help'], 'bin/postroom.mjs');
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /usage: postroom <command>/);
    const unknown = await postroom(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  test('apply-config validates first, then applies', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ accounts: [{ id: 'acme' }] }));
    const refused = await postroom(['apply-config', bad]);
    assert.equal(refused.code, 78);
    assert.match(refused.stderr, /invalid configuration: POSTROOM_CONFIG .*accounts\[0\]/);
    assert.equal((await store.accounts.list()).length, 0, 'nothing applied from a bad file');

    const dry = await postroom(['apply-config', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /valid: 1 account\(s\), 1 mailbox\(es\), 1 agent\(s\)/);
    assert.equal((await store.accounts.list()).length, 0, 'a dry run applies nothing');

    const applied = await postroom(['apply-config']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /mailboxes: 1 created/);
    assert.ok(await store.mailboxes.getByKey('acme', 'support'));
    const again = await postroom(['apply-config', configPath]);
    assert.match(again.stdout, /mailboxes: 1 unchanged/);
  });

  test('import: .eml files, an mbox and a Maildir, with a summary', async () => {
    const emlDir = join(dir, 'eml');
    mkdirSync(emlDir);
    const firstMail = buildMail({ messageId: first, subject: 'Broken zipper', body: 'It broke.' });
    writeFileSync(join(emlDir, 'a.eml'), firstMail);
    writeFileSync(join(emlDir, 'copy-of-a.eml'), firstMail);

    const reply = newMessageId('reply');
    const mbox = join(dir, 'archive.mbox');
    const mboxMails = [
      buildMail({
        messageId: reply,
        subject: 'Re: Broken zipper',
        inReplyTo: first,
        references: [first],
        body: 'Any news?\nFrom the shop I heard nothing.',
      }),
      buildMail({ messageId: newMessageId('m2'), subject: 'Invoice', body: 'Send the invoice.' }),
      buildMail({ messageId: newMessageId('m3'), subject: 'Return', body: 'How do I return?' }),
    ];
    writeFileSync(
      mbox,
      mboxMails
        .map(
          (mail) =>
            `From customer@customer.test Mon May  6 10:00:00 2024\n${mail
              .replace(/\r\n/g, '\n')
              .replace(/^(>*From )/gm, '>$1')}\n`,
        )
        .join(''),
    );

    const maildir = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(
      join(maildir, 'cur', '1715000000.1.host:2,S'),
      buildMail({ messageId: newMessageId('md1'), subject: 'Colour', body: 'Is it blue?' }),
    );
    // From our own address, answering no case: set aside, not a case.
    writeFileSync(
      join(maildir, 'new', '1715000001.2.host'),
      buildMail({
        messageId: newMessageId('own'),
        from: 'Acme Support <support@acme.test>',
        subject: 'Out of office',
        body: 'Away.',
      }),
    );

    const imported = await postroom(['import', '--mailbox', 'support', emlDir, mbox, maildir]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /stored 5, duplicates 1, quarantined 1, failed 0/);
    assert.match(imported.stderr, /importing \[#+\] 7\/7/, 'a progress bar on stderr');

    const stored = await store.messages.findByEmailMessageId('acme', 'support', first);
    const answer = await store.messages.findByEmailMessageId('acme', 'support', reply);
    assert.ok(stored && answer);
    assert.equal(answer.conversation_id, stored.conversation_id, 'the reply joined its case');
    assert.match(answer.body ?? '', /^From the shop I heard nothing\./m, 'mbox >From unescaped');

    const again = await postroom(['import', '--mailbox', 'support', '--no-progress', mbox]);
    assert.match(again.stdout, /stored 0, duplicates 3, quarantined 0, failed 0/);
    assert.equal(again.stderr, '');

    const missing = await postroom(['import', '--mailbox', 'nope', mbox]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /there is no mailbox "nope" in account "acme"/);
  });

  test('cases list, approve, reject and retry', async () => {
    const stored = await store.messages.findByEmailMessageId('acme', 'support', first);
    assert.ok(stored);
    const conversation = stored.conversation_id;
    const draft = (body: string, status: 'draft' | 'failed' = 'draft') =>
      store.messages.insert({
        account_id: 'acme',
        conversation_id: conversation,
        kind: 'chat',
        status,
        visibility: 'external',
        channel: 'email',
        body,
        mailbox_id: 'support',
      });
    const toApprove = await draft('We will send a new zipper.');

    const listed = await postroom(['cases', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^CASE\s+ID\s+STATUS\s+MAILBOX\s+PENDING\s+TITLE/);
    assert.ok(listed.stdout.includes(`draft ${toApprove._id}`), listed.stdout);
    assert.match(listed.stdout, /Broken zipper/);
    const badStatus = await postroom(['cases', 'list', '--status', 'sleeping']);
    assert.equal(badStatus.code, 2);
    assert.match(badStatus.stderr, /unknown status sleeping; statuses are new, open/);

    // By the case's id: its one draft.
    const approved = await postroom(['cases', 'approve', conversation, '--body', 'Edited reply.']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`${toApprove._id}: scheduled`));
    const scheduled = await store.messages.get('acme', toApprove._id);
    assert.equal(scheduled?.status, 'scheduled');
    assert.equal(scheduled?.body, 'Edited reply.');

    const stats = await postroom(['queues', 'stats']);
    assert.equal(stats.code, 0, stats.stderr);
    const deliverRow = stats.stdout.split('\n').find((l) => l.startsWith('message.deliver'));
    assert.ok(deliverRow, stats.stdout);
    const [, waiting, active, delayed] = deliverRow.split(/\s+/).map(Number);
    assert.equal(
      (waiting ?? 0) + (active ?? 0) + (delayed ?? 0),
      1,
      'the approved reply is queued',
    );

    const toReject = await draft('A draft nobody wants.');
    const rejected = await postroom(['cases', 'reject', toReject._id, '--reason', 'off topic']);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal((await store.messages.get('acme', toReject._id))?.status, 'rejected');
    // The approval rules apply as through the API: a rejected draft cannot be sent.
    const refused = await postroom(['cases', 'approve', toReject._id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^postroom: .*rejected/m);

    const failed = await draft('A reply whose sending failed.', 'failed');
    const retried = await postroom(['cases', 'retry', failed._id]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal((await store.messages.get('acme', failed._id))?.status, 'scheduled');

    const audit = await store.audit.list('acme', conversation);
    assert.ok(
      audit.items.some((e) => e.kind === 'message_approved' && e.actor_id === 'cli'),
      'the approval is in the case audit trail',
    );
  });

  test('doctor: ok for what works, and what is wrong in words', async () => {
    const closedPort = await freePort();
    const doctorConfig = join(dir, 'doctor.json');
    const goodUser = imap.userFor('doctor');
    writeFileSync(
      doctorConfig,
      JSON.stringify(
        accountConfig(
          [
            {
              id: 'good',
              address: 'good@acme.test',
              imap: {
                host: imap.host,
                port: imap.port,
                auth: { user: goodUser, pass: imap.password },
              },
              smtp: { host: smtp.host, port: smtp.port },
              agents: ['modelled'],
            },
            {
              id: 'bad',
              address: 'bad@acme.test',
              imap: {
                host: imap.host,
                port: imap.port,
                auth: { user: imap.deniedUserFor('doctor'), pass: imap.password },
              },
              smtp: { host: '127.0.0.1', port: closedPort },
              agents: ['unlisted'],
            },
            {
              id: 'nofolder',
              address: 'nofolder@acme.test',
              imap: {
                host: imap.host,
                port: imap.port,
                auth: { user: goodUser, pass: imap.password },
                folder: 'Archive/Nope',
              },
              outbox_folder: join(dir, 'outbox'),
            },
          ],
          {
            agents: [
              {
                id: 'modelled',
                name: 'Modelled',
                handle: 'modelled',
                provider: {
                  type: 'openai',
                  base_url: openai.baseURL,
                  api_key: 'sk-test',
                  model: 'gpt-4o-mini',
                },
              },
              {
                id: 'unlisted',
                name: 'Unlisted',
                handle: 'unlisted',
                provider: {
                  type: 'openai',
                  base_url: openai.baseURL,
                  api_key: 'sk-test',
                  model: 'no-such-model',
                },
              },
            ],
          },
        ),
      ),
    );
    const result = await postroom(['doctor', '--config', doctorConfig]);
    const out = result.stdout;
    assert.equal(result.code, 1, `${out}${result.stderr}`);
    assert.match(out, /^ok +acme\/good IMAP .* INBOX \(logged in, 0 messages in the folder\)$/m);
    assert.match(out, /^ok +acme\/good SMTP /m);
    assert.match(out, /^ok +acme\/good agent modelled model \(model gpt-4o-mini at /m);
    assert.match(
      out,
      /^FAIL +acme\/bad IMAP .*: the server refused the login of .*check the user name and password/m,
    );
    assert.match(
      out,
      new RegExp(`^FAIL +acme/bad SMTP .*: could not talk to 127\\.0\\.0\\.1:${closedPort}`, 'm'),
    );
    assert.match(
      out,
      /^FAIL +acme\/bad agent unlisted model: .*does not list the model "no-such-model"/m,
    );
    assert.match(
      out,
      /^FAIL +acme\/nofolder IMAP .*: logged in, but the folder "Archive\/Nope" cannot be opened/m,
    );
    assert.match(out, /^ok +Redis \(REDIS_URL\)$/m);
    assert.match(out, /^ok +MongoDB \(MONGODB_URI\)$/m);
    assert.match(out, /^4 problem\(s\) found$/m);
  });
});
