// Mail from the account's own addresses through the real runtime (drop
// folders): it never opens a case, wakes an agent, joins a case as a
// participant or moves a workflow. Answering no case it is quarantined (an
// inbound failure with its raw source); threading into a case it is kept
// there, flagged `email.from_self`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const dirs = {
  support: mkdtempSync(join(tmpdir(), 'postroom-own-support-')),
  sales: mkdtempSync(join(tmpdir(), 'postroom-own-sales-')),
  outbox: mkdtempSync(join(tmpdir(), 'postroom-own-outbox-')),
};
let runtime: TestRuntime;
let db: mongoose.Connection;
let files = 0;

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'support',
        address: 'support@acme.test',
        aliases: ['help@acme.test'],
        drop_folder: dirs.support,
        outbox_folder: dirs.outbox,
        // The template agent `drafter` answers every human message (policy "always").
        agents: ['drafter'],
      },
      {
        id: 'sales',
        address: 'sales@acme.test',
        drop_folder: dirs.sales,
        outbox_folder: dirs.outbox,
        agents: ['drafter'],
      },
    ]),
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
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
});

/** Drops a mail into the support mailbox; resolves once its ingest job is over (processed/). */
async function dropMail(raw: string, folder = dirs.support): Promise<void> {
  files += 1;
  const name = `${files}.eml`;
  writeFileSync(join(folder, name), raw);
  // The file moves as the job's last step, after the message is stored and the
  // runs it triggers are recorded: only then is the absence of a run meaningful.
  const processed = join(folder, 'processed');
  await waitUntil(
    () => existsSync(processed) && readdirSync(processed).some((f) => f.endsWith(`-${name}`)),
    { what: `${name} ingested` },
  );
}

const agentRuns = (): Promise<number> =>
  db.collection('agent_runs').countDocuments({ account_id: 'acme' });
const cases = (): Promise<number> =>
  db.collection('conversations').countDocuments({ account_id: 'acme' });

async function quarantined(): Promise<Json[]> {
  return (await runtime.json<Json>('/v1/admin/inbound-failures')).data as Json[];
}

async function timeline(conversationId: string): Promise<Json[]> {
  return (
    await runtime.json<Json>(
      `/v1/messaging/conversations/${conversationId}/messages?status=sent&limit=100`,
    )
  ).data as Json[];
}

/** A customer's mail: a case, and a run of the always agent (the control for "no run"). */
async function customerCase(): Promise<{ messageId: string; conversation: Json }> {
  const messageId = newMessageId('customer');
  await dropMail(buildMail({ messageId, subject: `Parcel ${messageId}` }));
  const stored = await runtime.context.store.messages.findByEmailMessageId(
    'acme',
    'support',
    messageId,
  );
  assert.ok(stored, 'the customer mail is stored');
  // The draft parks the case in needs_approval: the workflow any own mail must leave alone.
  const conversation = await waitUntil(
    async () => {
      const found = await runtime.json<Json>(
        `/v1/messaging/conversations/${stored.conversation_id}?include[]=participants`,
      );
      return found.workflow_status === 'needs_approval' ? found : null;
    },
    { what: 'the agent draft to park the case in needs_approval' },
  );
  return { messageId, conversation };
}

describe('mail from our own addresses', () => {
  test('a customer mail opens a case and wakes the always agent (the control)', async () => {
    const runsBefore = await agentRuns();
    await customerCase();
    assert.equal(await agentRuns(), runsBefore + 1);
  });

  for (const [from, matched] of [
    ['Acme Support <support@acme.test>', /the address of mailbox "support"/],
    ['SUPPORT@ACME.TEST', /the address of mailbox "support"/],
    ['support+x@acme.test', /the address of mailbox "support"/],
    ['Help Desk <help@acme.test>', /an alias of mailbox "support" \(help@acme\.test\)/],
    ['Acme Sales <sales@acme.test>', /the address of mailbox "sales"/],
  ] as const) {
    test(`mail from ${from} opens no case, wakes no agent and is quarantined`, async () => {
      const casesBefore = await cases();
      const runsBefore = await agentRuns();
      const messageId = newMessageId('self');
      const raw = buildMail({ from, messageId, subject: `Note to self ${messageId}` });
      await dropMail(raw);

      assert.equal(await cases(), casesBefore, 'no case opened');
      assert.equal(await agentRuns(), runsBefore, 'no agent run');
      assert.equal(
        await db.collection('chat_messages').countDocuments({ 'email.message_id': messageId }),
        0,
        'no message stored',
      );
      const failure = (await quarantined()).find((f) => f.message_id === messageId);
      assert.ok(failure, 'listed by /v1/admin/inbound-failures');
      assert.equal(failure.kind, 'quarantined');
      assert.equal(failure.mailbox_id, 'support');
      assert.equal(failure.source.kind, 'file');
      const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
      // The parser lower-cases the domain (types.ts), so compare without case.
      assert.ok(
        failure.reason.toLowerCase().includes(address.toLowerCase()),
        `the reason names ${address}: ${failure.reason}`,
      );
      assert.match(failure.reason, /^own_address: /);
      assert.match(failure.reason, matched);
      assert.match(failure.reason, /never opens a case/);
      // Never dropped: the raw source is kept, byte for byte.
      assert.ok(failure.raw_source_id);
      const kept = await runtime.context.store.files.read(failure.raw_source_id);
      assert.equal(kept.toString('utf8'), raw);
    });
  }

  test('mail from another mailbox of the account, arriving there, is quarantined too', async () => {
    const messageId = newMessageId('self-sales');
    await dropMail(
      buildMail({ from: 'sales@acme.test', to: 'sales@acme.test', messageId }),
      dirs.sales,
    );
    const failure = (await quarantined()).find((f) => f.message_id === messageId);
    assert.equal(failure?.mailbox_id, 'sales');
    assert.equal(failure?.kind, 'quarantined');
  });

  test('our own copy threading into a case lands there, moving nothing', async () => {
    const { messageId, conversation } = await customerCase();
    const runsBefore = await agentRuns();
    const participants = conversation.participants.data.map((p: Json) => p.id).sort();
    const unread = conversation.unread;

    // A teammate answered from a mail client, with a Bcc to the support mailbox.
    const ownId = newMessageId('own-copy');
    await dropMail(
      buildMail({
        from: 'Acme Support <support@acme.test>',
        to: 'Jane Customer <jane@customer.example>',
        messageId: ownId,
        inReplyTo: messageId,
        references: [messageId],
        subject: `Re: Parcel ${messageId}`,
        body: 'Hello Jane, it left our warehouse today.',
      }),
    );

    const messages = await timeline(conversation.id);
    const own = messages.find((m) => m.email?.message_id === ownId);
    assert.ok(own, 'stored in the case it answers');
    assert.equal(own.email.from_self, true);
    assert.equal(own.email.from.address, 'support@acme.test');
    assert.equal(own.sequence, 2);
    const customer = messages.find((m) => m.email?.message_id === messageId);
    assert.equal(customer?.email.from_self, false);

    const after = await runtime.json<Json>(
      `/v1/messaging/conversations/${conversation.id}?include[]=participants`,
    );
    assert.equal(after.workflow_status, 'needs_approval', 'the workflow did not move');
    assert.deepEqual(
      after.participants.data.map((p: Json) => p.id).sort(),
      participants,
      'no participant added',
    );
    assert.equal(after.unread, unread, 'not counted unread');
    assert.equal(await agentRuns(), runsBefore, 'no agent run');
    assert.ok(
      !(await quarantined()).some((f) => f.message_id === ownId),
      'a threaded own copy is not quarantined',
    );
  });
});
