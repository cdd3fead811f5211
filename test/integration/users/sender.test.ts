// Who wrote a message: an inbound email's `sender` is the customer in the
// seed's actor shape (name, handle = address); the customer participant
// carries the address as handle; `reply_to` is the stored message a threaded
// reply answers (In-Reply-To, else References), in its own case only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MessageRecord } from '../../../src/store/index.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import { ACME, GLOBEX, call, startUsersRuntime, stopRuntime, type Json } from './helpers.ts';

const acmeDrop = mkdtempSync(join(tmpdir(), 'postroom-users-acme-'));
const globexDrop = mkdtempSync(join(tmpdir(), 'postroom-users-globex-'));
let runtime: TestRuntime;
let dropped = 0;

type ActorJson = Record<string, unknown>;
type MessageJson = Json & {
  sender: ActorJson | null;
  author: ActorJson | null;
  reply_to: (Json & { sender: ActorJson; reply_to: unknown }) | null;
  reply_to_id: string | null;
};

async function ingest(
  accountId: string,
  options: Parameters<typeof buildMail>[0] & { messageId: string },
): Promise<MessageRecord> {
  const mailbox = accountId === ACME ? 'support' : 'help';
  writeFileSync(
    join(accountId === ACME ? acmeDrop : globexDrop, `mail-${++dropped}.eml`),
    buildMail({ to: accountId === ACME ? 'support@acme.test' : 'help@globex.test', ...options }),
  );
  return waitUntil(
    () =>
      runtime.context.store.messages.findByEmailMessageId(accountId, mailbox, options.messageId),
    { what: `mail ${options.messageId} to be stored` },
  );
}

async function messageJson(id: string, key: 'admin' | 'globex' = 'admin'): Promise<MessageJson> {
  const response = await call(
    runtime,
    key,
    'GET',
    `/v1/messaging/messages/${id}?include[]=sender&include[]=author`,
  );
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as MessageJson;
}

describe('who wrote a message', () => {
  before(async () => {
    runtime = await startUsersRuntime(
      {
        [ACME]: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: acmeDrop,
            outbox_folder: join(acmeDrop, 'outbox'),
          },
        ],
        [GLOBEX]: [
          {
            id: 'help',
            address: 'help@globex.test',
            drop_folder: globexDrop,
            outbox_folder: join(globexDrop, 'outbox'),
          },
        ],
      },
      'api,watcher,ingest',
    );
  });
  after(async () => {
    await stopRuntime(runtime);
    rmSync(acmeDrop, { recursive: true, force: true });
    rmSync(globexDrop, { recursive: true, force: true });
  });

  test("an inbound email's sender is the customer; their participant carries the address as handle", async () => {
    const id = newMessageId('first');
    const stored = await ingest(ACME, {
      messageId: id,
      from: 'Jane Customer <Jane@Customer.example>',
    });
    const json = await messageJson(stored._id);
    assert.ok(stored.participant_id);
    assert.deepEqual(json.sender, {
      id: stored.participant_id,
      object: 'actor',
      type: 'customer',
      name: 'Jane Customer',
      handle: 'jane@customer.example',
      avatar_url: null,
      role: null,
    });
    // The seed's author is an account user: a customer is none.
    assert.equal(json.author, null);
    assert.equal(json.reply_to, null);

    const response = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${stored.conversation_id}?include[]=participants`,
    );
    const conversation = (await response.json()) as {
      participants: { data: Array<Json & { type: string; handle: string; actor: ActorJson }> };
    };
    const customer = conversation.participants.data.find((p) => p.type === 'customer');
    assert.equal(customer?.id, stored.participant_id);
    assert.equal(customer?.handle, 'jane@customer.example');
    assert.deepEqual(customer?.actor, json.sender);

    // The timeline shows the same sender.
    const timeline = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${stored.conversation_id}/messages?include=sender`,
    );
    const { data } = (await timeline.json()) as { data: MessageJson[] };
    assert.deepEqual(data[0]?.sender, json.sender);
  });

  test('a threaded reply links to the message it answers, by In-Reply-To or else References', async () => {
    const rootId = newMessageId('root');
    const root = await ingest(ACME, { messageId: rootId, subject: 'Broken lamp' });
    const secondId = newMessageId('second');
    const second = await ingest(ACME, {
      messageId: secondId,
      subject: 'Re: Broken lamp',
      inReplyTo: rootId,
      references: [rootId],
    });
    assert.equal(second.conversation_id, root.conversation_id);
    const json = await messageJson(second._id);
    assert.equal(json.reply_to_id, root._id);
    assert.equal(json.reply_to?.id, root._id);
    assert.equal(json.reply_to?.object, 'chat_message');
    assert.equal(json.reply_to?.sender.type, 'customer');
    assert.equal(json.reply_to?.reply_to, null);

    // No In-Reply-To (or an unknown one): the latest known References entry.
    const third = await ingest(ACME, {
      messageId: newMessageId('third'),
      subject: 'Re: Broken lamp',
      inReplyTo: newMessageId('unknown'),
      references: [rootId, secondId, newMessageId('never-stored')],
    });
    assert.equal(third.conversation_id, root.conversation_id);
    assert.equal((await messageJson(third._id)).reply_to?.id, second._id);
  });

  test("a Message-ID of another account's message links nothing", async () => {
    const acmeId = newMessageId('acme-only');
    const acme = await ingest(ACME, { messageId: acmeId, subject: 'Acme question' });
    const globex = await ingest(GLOBEX, {
      messageId: newMessageId('globex'),
      subject: 'Re: Acme question',
      inReplyTo: acmeId,
      references: [acmeId],
    });
    assert.notEqual(globex.conversation_id, acme.conversation_id);
    assert.equal(globex.reply_to_id, null);
    const json = await messageJson(globex._id, 'globex');
    assert.equal(json.reply_to, null);
    assert.equal(json.sender?.type, 'customer');
    assert.equal(
      (await call(runtime, 'globex', 'GET', `/v1/messaging/messages/${acme._id}`)).status,
      404,
    );
  });
});
