// POST /v1/messaging/conversations: an internal group, a direct message, and
// a customer case that opens with an email to a new customer. The email goes
// out through the normal delivery path (a real SMTP server) and the
// customer's answer (dropped into the mailbox's folder) joins the same case.
// Also: the customer-audience view of a case carries only external and system
// messages; validation names the problem; Idempotency-Key replays; accounts
// stay apart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  ACME,
  GLOBEX,
  HELPER,
  KEYS,
  ROBIN,
  SAM,
  call,
  errorOf,
  startUsersRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';

const drop = mkdtempSync(join(tmpdir(), 'postroom-create-drop-'));
let runtime: TestRuntime;
let smtp: SmtpTestServer;

interface ParticipantJson extends Json {
  type: string;
  role: string;
  handle: string | null;
  actor: { id: string } | null;
}
interface ConversationJson extends Json {
  object: string;
  type: string;
  audience: string;
  title: string | null;
  workflow_status: string | null;
  mailbox_id: string | null;
  participants: { object: string; data: ParticipantJson[] } | null;
  assignee: unknown;
}
interface MessageJson extends Json {
  status: string;
  visibility: string;
  channel: string;
  subject: string | null;
  body: string | null;
  sequence: number | null;
  email: { message_id: string } | null;
}

async function create(
  body: unknown,
  options: {
    key?: 'admin' | 'robin' | 'globex';
    query?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  return runtime.request(`/v1/messaging/conversations${options.query ?? ''}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEYS[options.key ?? 'robin']}`,
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
}

async function created(response: Response): Promise<ConversationJson> {
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as ConversationJson;
}

async function messagesOf(id: string, query = ''): Promise<MessageJson[]> {
  const response = await call(
    runtime,
    'admin',
    'GET',
    `/v1/messaging/conversations/${id}/messages${query}`,
  );
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { data: MessageJson[] }).data;
}

describe('creating conversations', () => {
  before(async () => {
    smtp = await startSmtpTestServer();
    runtime = await startUsersRuntime(
      {
        [ACME]: [
          {
            id: 'support',
            address: 'support@acme.test',
            display_name: 'Acme Support',
            drop_folder: drop,
            smtp: { host: smtp.host, port: smtp.port, secure: false },
            agents: ['helper'],
            delivery: { max_attempts: 3, backoff_ms: 200 },
          },
        ],
      },
      'api,watcher,ingest,delivery',
    );
  });
  after(async () => {
    await stopRuntime(runtime);
    await smtp?.stop();
    rmSync(drop, { recursive: true, force: true });
  });

  test('an internal group: titled, the caller its owner, the named members with it', async () => {
    const json = await created(
      await create(
        {
          type: 'group',
          title: 'Launch prep',
          participants: [{ type: 'user', actor_id: SAM }],
        },
        { query: '?include[]=participants' },
      ),
    );
    assert.equal(json.object, 'conversation');
    assert.equal(json.type, 'group');
    assert.equal(json.audience, 'internal');
    assert.equal(json.title, 'Launch prep');
    assert.equal(json.workflow_status, null, 'only customer cases have a triage lane');
    assert.equal(json.mailbox_id, null);
    // Sub-objects not asked for stay null, as the seed says.
    assert.equal(json.assignee, null);
    const members = json.participants?.data ?? [];
    assert.deepEqual(
      members.map((p) => [p.type, p.actor?.id, p.role]).sort(),
      [
        ['user', ROBIN, 'owner'],
        ['user', SAM, 'member'],
      ].sort(),
    );
    const read = await call(runtime, 'robin', 'GET', `/v1/messaging/conversations/${json.id}`);
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as ConversationJson).participants, null);

    const audit = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${json.id}/audit`,
    );
    const entries = ((await audit.json()) as { data: Array<Json & { kind: string; actor: Json }> })
      .data;
    assert.equal(entries[0]?.kind, 'conversation_created');
    assert.equal(entries[0]?.actor.id, ROBIN);
  });

  test('a direct message: two users, no title; the members are checked', async () => {
    const json = await created(
      await create(
        { type: 'direct_message', participants: [{ type: 'user', actor_id: SAM }] },
        { query: '?include[]=participants' },
      ),
    );
    assert.equal(json.type, 'direct_message');
    assert.equal(json.audience, 'internal');
    assert.equal(json.title, null);
    assert.equal(json.participants?.data.length, 2);

    // A bare API key is no user: it names both.
    const byKey = await create(
      {
        type: 'direct_message',
        participants: [
          { type: 'user', actor_id: SAM },
          { type: 'user', actor_id: ROBIN },
        ],
      },
      { key: 'admin' },
    );
    assert.equal((await created(byKey)).type, 'direct_message');

    const three = await create({
      type: 'direct_message',
      participants: [
        { type: 'user', actor_id: SAM },
        { type: 'agent', agent_id: HELPER },
      ],
    });
    assert.equal(three.status, 422);
    assert.equal((await errorOf(three)).code, 'direct_message_members');

    const titled = await create({
      type: 'direct_message',
      title: 'Hi',
      participants: [{ type: 'user', actor_id: SAM }],
    });
    assert.equal(titled.status, 400);
    assert.match((await errorOf(titled)).message, /^body\.title: a direct message has no title/);

    const customer = await create({
      type: 'direct_message',
      audience: 'customer',
      participants: [{ type: 'user', actor_id: SAM }],
    });
    assert.equal(customer.status, 400);
    assert.match((await errorOf(customer)).message, /^body\.audience:/);
  });

  test('validation names the problem', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ type: 'chat' }, 400, /^body\.type:/],
      [{ type: 'group' }, 400, /^body\.title: required for a group/],
      [{ type: 'group', title: '  ' }, 400, /^body\.title: must not be blank/],
      [{ type: 'group', title: 'x', color: 'red' }, 400, /^body: Unrecognized key/],
      [
        { type: 'group', title: 'x', mailbox_id: 'support' },
        400,
        /^body\.mailbox_id: only for a customer case/,
      ],
      [
        { type: 'group', title: 'x', participants: [{ type: 'user', actor_id: 'usr_nobody' }] },
        422,
        /^body\.participants\.0\.actor_id: no user "usr_nobody"/,
      ],
      [
        { type: 'group', audience: 'customer', title: 'Your order' },
        400,
        /^body\.mailbox_id: required for a customer case/,
      ],
      [
        {
          type: 'group',
          audience: 'customer',
          title: 'Your order',
          mailbox_id: 'support',
          customer: { address: 'not-an-address' },
          message: { body: 'Hello' },
        },
        400,
        /^body\.customer\.address: must be an email address/,
      ],
      [
        {
          type: 'group',
          audience: 'customer',
          title: 'Your order\r\nBcc: x@evil.test',
          mailbox_id: 'support',
          customer: { address: 'kim@customer.example' },
          message: { body: 'Hello' },
        },
        400,
        /^body\.title: must not contain line breaks/,
      ],
      [
        {
          type: 'group',
          audience: 'customer',
          title: 'Your order',
          mailbox_id: 'nope',
          customer: { address: 'kim@customer.example' },
          message: { body: 'Hello' },
        },
        422,
        /^body\.mailbox_id: no mailbox "nope"/,
      ],
      [
        {
          type: 'group',
          audience: 'customer',
          title: 'Your order',
          mailbox_id: 'support',
          customer: { address: 'Support@Acme.test' },
          message: { body: 'Hello' },
        },
        422,
        /^body\.customer\.address: Support@Acme\.test is one of this account's own/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const response = await create(body);
      assert.equal(
        response.status,
        status,
        `${JSON.stringify(body)}: ${await response.clone().text()}`,
      );
      const error = await errorOf(response);
      assert.match(error.message, message, JSON.stringify(body));
      assert.ok(error.type && error.code);
    }
    // Sam's key acts as Sam, who may only read.
    const readOnly = await call(runtime, 'sam', 'POST', '/v1/messaging/conversations', {
      type: 'group',
      title: 'x',
    });
    assert.equal(readOnly.status, 403);
  });

  test('a customer case opens with an email to a new customer; their answer joins the case', async () => {
    const json = await created(
      await create(
        {
          type: 'group',
          audience: 'customer',
          title: 'Your replacement order',
          priority: 'high',
          mailbox_id: 'support',
          customer: { address: 'Kim@Customer.example', name: 'Kim Lane' },
          message: { body: 'Hello Kim,\n\nYour replacement ships today.' },
        },
        { query: '?include[]=participants' },
      ),
    );
    assert.equal(json.type, 'group');
    assert.equal(json.audience, 'customer');
    assert.equal(json.workflow_status, 'open');
    assert.equal(json.mailbox_id, 'support');
    const customer = json.participants?.data.find((p) => p.type === 'customer');
    assert.equal(customer?.handle, 'kim@customer.example');
    assert.ok(
      json.participants?.data.some((p) => p.type === 'agent' && p.actor?.id === HELPER),
      "the mailbox's agent joins, as on a case opened by mail",
    );

    const [delivered] = await smtp.waitForMessages(1);
    const mail = await simpleParser(delivered?.raw ?? Buffer.alloc(0));
    assert.equal(mail.subject, 'Your replacement order', 'the opening email has no "Re:"');
    assert.equal(
      mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : null,
      'kim@customer.example',
    );
    assert.match(mail.text ?? '', /Your replacement ships today\./);

    const sent = await waitUntil(
      async () => (await messagesOf(json.id)).find((m) => m.status === 'sent'),
      { what: 'the opening email to be sent' },
    );
    assert.equal(sent.visibility, 'external');
    assert.equal(sent.channel, 'email');
    assert.equal(sent.sequence, 1);
    assert.equal(mail.messageId, `<${sent.email?.message_id}>`);
    await waitUntil(
      async () =>
        (
          (await (
            await call(runtime, 'admin', 'GET', `/v1/messaging/conversations/${json.id}`)
          ).json()) as ConversationJson
        ).workflow_status === 'waiting_external',
      { what: 'the case to wait on the customer' },
    );

    const answerId = newMessageId('kim');
    writeFileSync(
      join(drop, 'kim-answer.eml'),
      buildMail({
        messageId: answerId,
        from: 'Kim Lane <kim@customer.example>',
        subject: 'Re: Your replacement order',
        inReplyTo: sent.email?.message_id ?? '',
        references: [sent.email?.message_id ?? ''],
        body: 'Thanks, got the tracking number.',
      }),
    );
    const answer = await waitUntil(
      () => runtime.context.store.messages.findByEmailMessageId(ACME, 'support', answerId),
      { what: "the customer's answer" },
    );
    assert.equal(answer.conversation_id, json.id, 'the answer threads into the case we opened');
    assert.equal(answer.participant_id, customer?.id, 'from the customer we wrote to');
    assert.equal(answer.sequence, 2);
    await waitUntil(
      async () =>
        (
          (await (
            await call(runtime, 'admin', 'GET', `/v1/messaging/conversations/${json.id}`)
          ).json()) as ConversationJson
        ).workflow_status === 'open',
      { what: 'the answered case to be open' },
    );
  });

  test('the customer view of a case carries only its sent external and system messages', async () => {
    const json = await created(
      await create({
        type: 'group',
        audience: 'customer',
        title: 'Your invoice',
        mailbox_id: 'support',
        customer: { address: 'lee@customer.example' },
        message: { body: 'Hello Lee, your invoice is attached.' },
      }),
    );
    await waitUntil(async () => (await messagesOf(json.id)).find((m) => m.status === 'sent'), {
      what: 'the opening email to be sent',
    });
    const post = (body: unknown) =>
      call(runtime, 'robin', 'POST', `/v1/messaging/conversations/${json.id}/messages`, body);
    const note = await post({
      body: 'Lee pays late: chase in a week',
      visibility: 'internal',
      channel: 'message',
    });
    assert.equal(note.status, 201, await note.clone().text());
    const chat = await post({ body: 'Any questions?', visibility: 'external', channel: 'message' });
    assert.equal(chat.status, 201, await chat.clone().text());
    const later = await post({
      body: 'A reminder',
      visibility: 'external',
      channel: 'email',
      scheduled_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    assert.equal(later.status, 201, await later.clone().text());

    const team = await messagesOf(json.id);
    assert.deepEqual(
      team.map((m) => [m.visibility, m.status]),
      [
        ['external', 'sent'],
        ['internal', 'sent'],
        ['external', 'sent'],
        ['external', 'scheduled'],
      ],
    );
    const customerView = await messagesOf(json.id, '?audience=customer');
    assert.deepEqual(
      customerView.map((m) => [m.visibility, m.status, m.body]),
      [
        ['external', 'sent', 'Hello Lee, your invoice is attached.'],
        ['external', 'sent', 'Any questions?'],
      ],
    );
    // The next page keeps the view.
    const paged = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${json.id}/messages?audience=customer&limit=1`,
    );
    const page = (await paged.json()) as {
      page_info: { next_page_url: string | null };
    };
    assert.match(page.page_info.next_page_url ?? '', /audience=customer/);
    const second = await call(runtime, 'admin', 'GET', page.page_info.next_page_url ?? '');
    const rest = ((await second.json()) as { data: MessageJson[] }).data;
    assert.deepEqual(
      rest.map((m) => m.body),
      ['Any questions?'],
    );
    // sender and author are expandable: null unless include[] names them, on every page.
    assert.equal((customerView[0] as MessageJson & { sender: unknown }).sender, null);
    const expanded = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${json.id}/messages?audience=customer&limit=1&include[]=sender&include[]=author`,
    );
    const expandedPage = (await expanded.json()) as {
      data: Array<MessageJson & { sender: Json | null; author: Json | null }>;
      page_info: { next_page_url: string | null };
    };
    assert.equal(expandedPage.data[0]?.sender?.id, ROBIN);
    assert.equal(expandedPage.data[0]?.author?.id, ROBIN);
    assert.match(expandedPage.page_info.next_page_url ?? '', /include=sender%2Cauthor/);
    const teamView = await messagesOf(json.id, '?audience=internal');
    assert.equal(teamView.length, 4, 'audience=internal is the team view: everything');

    const drafts = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${json.id}/messages?audience=customer&status=sent,draft`,
    );
    assert.equal(drafts.status, 400);
    assert.match(
      (await errorOf(drafts)).message,
      /^query\.status: the customer view carries only sent messages, not draft/,
    );
    const bad = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${json.id}/messages?audience=everyone`,
    );
    assert.equal(bad.status, 400);
    assert.match((await errorOf(bad)).message, /^query\.audience:/);

    const room = await created(await create({ type: 'group', title: 'Team only' }));
    const internal = await call(
      runtime,
      'admin',
      'GET',
      `/v1/messaging/conversations/${room.id}/messages?audience=customer`,
    );
    assert.equal(internal.status, 422);
    assert.equal((await errorOf(internal)).code, 'not_a_customer_case');
    const foreign = await call(
      runtime,
      'globex',
      'GET',
      `/v1/messaging/conversations/${json.id}/messages?audience=customer`,
    );
    assert.equal(foreign.status, 404);
  });

  test('Idempotency-Key: a retry answers the same case without creating another', async () => {
    const body = { type: 'group', title: 'Idempotent room' };
    const headers = { 'idempotency-key': 'create-room-1' };
    const first = await created(await create(body, { headers }));
    const retry = await create(body, { headers });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await retry.json()) as ConversationJson).id, first.id);
    const list = await call(runtime, 'robin', 'GET', '/v1/messaging/conversations?limit=100');
    const titles = ((await list.json()) as { data: ConversationJson[] }).data.filter(
      (c) => c.title === 'Idempotent room',
    );
    assert.equal(titles.length, 1);

    const other = await create({ type: 'group', title: 'Another' }, { headers });
    assert.equal(other.status, 422, 'the same key on another request');
  });

  test("accounts stay apart: another account's users, agents and mailboxes are not found", async () => {
    const foreignUser = await create(
      { type: 'group', title: 'x', participants: [{ type: 'user', actor_id: ROBIN }] },
      { key: 'globex' },
    );
    assert.equal(foreignUser.status, 422);
    assert.equal((await errorOf(foreignUser)).code, 'invalid_actor');
    const foreignAgent = await create(
      { type: 'group', title: 'x', participants: [{ type: 'agent', agent_id: HELPER }] },
      { key: 'globex' },
    );
    assert.equal(foreignAgent.status, 422);
    assert.equal((await errorOf(foreignAgent)).code, 'invalid_agent');
    const foreignMailbox = await create(
      {
        type: 'group',
        audience: 'customer',
        title: 'Hello',
        mailbox_id: 'support',
        customer: { address: 'kim@customer.example' },
        message: { body: 'Hello' },
      },
      { key: 'globex' },
    );
    assert.equal(foreignMailbox.status, 422);
    assert.equal((await errorOf(foreignMailbox)).code, 'invalid_mailbox');

    const mine = await created(
      await create({ type: 'group', title: 'Globex room' }, { key: 'globex' }),
    );
    const fromAcme = await call(runtime, 'admin', 'GET', `/v1/messaging/conversations/${mine.id}`);
    assert.equal(fromAcme.status, 404);
    const globexList = await call(
      runtime,
      'globex',
      'GET',
      '/v1/messaging/conversations?limit=100',
    );
    const globexIds = ((await globexList.json()) as { data: ConversationJson[] }).data.map(
      (c) => c.id,
    );
    assert.deepEqual(globexIds, [mine.id]);
    assert.equal(GLOBEX, 'globex');
  });
});
