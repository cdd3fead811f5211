// Webhooks through the real runtime (api and webhooks roles) against a local
// HTTP receiver that fails (500), times out, then recovers: each event arrives
// once with a valid signature, every attempt is recorded, a delivery that keeps
// failing ends `failed` and is replayed, the outbound guard refuses private
// URLs the operator did not allow, and one account never sees another's.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { ConfigError } from '../../../src/config/config-error.ts';
import { NOTHING_ALLOWED } from '../../../src/config/outbound-allow.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createAddressGuard } from '../../../src/platform/outbound-guard.ts';
import { createSecretBox } from '../../../src/platform/secret-box.ts';
import { redisPublisher } from '../../../src/realtime/events.ts';
import { applyWebhookBootstrap } from '../../../src/webhooks/bootstrap.ts';
import { emitWebhookEvent, webhookPublisher } from '../../../src/webhooks/emit.ts';
import { errorOf, stopRuntime, type Json } from '../../support/helpers.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const READER_KEY = 'pk_test_reader_key_0001';
const GLOBEX_KEY = 'pk_test_globex_key_0001';
const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];
const SECRET = 'whsec_test_secret_0123456789';
const FILE_SECRET = 'whsec_file_secret_0123456789';
const MAX_ATTEMPTS = 4;

type Behavior = 'ok' | 'fail' | 'hang';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  answered: number | null;
}

/** A receiver whose answers per path follow a script, then a default. */
class Receiver {
  readonly received: Received[] = [];
  private scripts = new Map<string, Behavior[]>();
  private defaults = new Map<string, Behavior>();
  private hanging: ServerResponse[] = [];
  private server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const entry: Received = {
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: null,
      };
      this.received.push(entry);
      const behavior = this.scripts.get(path)?.shift() ?? this.defaults.get(path) ?? 'ok';
      if (behavior === 'hang') {
        // Never answered while the sender waits: its per-attempt timeout ends the attempt.
        this.hanging.push(response);
        return;
      }
      entry.answered = behavior === 'ok' ? 204 : 500;
      response.writeHead(entry.answered).end(behavior === 'ok' ? undefined : 'boom');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  script(path: string, steps: Behavior[], then: Behavior = 'ok'): void {
    this.scripts.set(path, [...steps]);
    this.defaults.set(path, then);
  }
  at(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }
  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The receiver's side of the contract, as the README shows it. */
function validSignature(secret: string, header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2)));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const receiver = new Receiver();
let runtime: TestRuntime;

function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const { key, ...rest } = init;
  return runtime.request(path, {
    ...rest,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...rest.headers },
  });
}
const post = (path: string, body: unknown, key?: string) =>
  call(path, { method: 'POST', body: JSON.stringify(body), key });

async function created(response: Response): Promise<Json> {
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Json;
}

async function createEndpoint(path: string, events: string[], secret?: string): Promise<Json> {
  return created(
    await post('/v1/admin/webhooks', {
      url: `${receiver.url}${path}`,
      events,
      ...(secret ? { secret } : {}),
    }),
  );
}

async function newConversation(title: string): Promise<Json> {
  return created(
    await post('/v1/messaging/conversations', { type: 'group', audience: 'internal', title }),
  );
}

async function deliveries(endpointId: string, query = ''): Promise<Json[]> {
  const response = await call(`/v1/admin/webhooks/${endpointId}/deliveries${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { data: Json[] }).data;
}

async function deliveryOf(endpointId: string, conversationId: string): Promise<Json | undefined> {
  return (await deliveries(endpointId)).find((d) => d.conversation_id === conversationId);
}

before(async () => {
  await receiver.start();
  receiver.script('/file', [], 'ok');
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [
            { name: 'test', key: TEST_API_KEY, permissions: ALL },
            { name: 'reader', key: READER_KEY, permissions: ['messaging:read'] },
          ],
          webhooks: [
            {
              id: 'crm',
              url: `${receiver.url}/file`,
              events: ['conversation.created'],
              secret: FILE_SECRET,
            },
          ],
        },
        {
          id: 'globex',
          name: 'Globex',
          api_keys: [{ name: 'admin', key: GLOBEX_KEY, permissions: ALL }],
        },
      ],
    },
    {
      roles: 'api,webhooks',
      env: {
        // The receiver is on loopback: only the operator's allow-list lets it be reached.
        POSTROOM_OUTBOUND_ALLOW: '127.0.0.1',
        POSTROOM_WEBHOOK_TIMEOUT_MS: '400',
        POSTROOM_WEBHOOK_BACKOFF_MS: '50',
        POSTROOM_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      },
    },
  );
});
after(async () => {
  await stopRuntime(runtime);
  await receiver.stop();
});

describe('webhook delivery', () => {
  test('fails, times out, recovers: the event arrives once, signed, with its attempts recorded', async () => {
    receiver.script('/flaky', ['fail', 'hang'], 'ok');
    const endpoint = await createEndpoint('/flaky', ['conversation.created'], SECRET);
    assert.equal(endpoint.secret, undefined, 'a given secret is never echoed');
    const conversation = await newConversation('Order 1234');

    const delivery = await waitUntil(
      async () => {
        const found = await deliveryOf(endpoint.id, conversation.id);
        return found?.status === 'delivered' ? found : undefined;
      },
      { what: 'the delivery to succeed' },
    );
    assert.equal(delivery.event_type, 'conversation.created');
    assert.equal(delivery.attempts, 3);
    const log = delivery.attempt_log as Array<{ status_code: number | null; error: string | null }>;
    assert.deepEqual(
      log.map((a) => a.status_code),
      [500, null, 204],
    );
    assert.equal(log[0]?.error, 'the endpoint answered HTTP 500');
    assert.equal(log[1]?.error, 'no answer within 400 ms');
    assert.equal(log[2]?.error, null);

    const requests = receiver.at('/flaky');
    assert.equal(requests.length, 3);
    const answered = requests.filter((r) => r.answered === 204);
    assert.equal(answered.length, 1, 'accepted once');
    const [accepted] = answered;
    assert.ok(accepted);
    // Every attempt is the same event.
    assert.deepEqual(new Set(requests.map((r) => r.headers['postroom-event-id'])).size, 1);
    assert.equal(accepted.headers['postroom-event-id'], delivery.event_id);
    assert.equal(accepted.headers['content-type'], 'application/json');
    const signature = accepted.headers['postroom-signature'] as string;
    assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(validSignature(SECRET, signature, accepted.body), 'signature verifies');
    assert.ok(!validSignature('another secret 0000', signature, accepted.body));
    const body = JSON.parse(accepted.body) as {
      id: string;
      type: string;
      account_id: string;
      data: { conversation_id: string; conversation: { title: string } };
    };
    assert.equal(body.id, delivery.event_id);
    assert.equal(body.type, 'conversation.created');
    assert.equal(body.account_id, 'acme');
    assert.equal(body.data.conversation_id, conversation.id);
    assert.equal(body.data.conversation.title, 'Order 1234');
  });

  test('the bootstrap endpoint gets the event too, signed with the file secret', async () => {
    const conversation = await newConversation('From the file');
    const request = await waitUntil(
      () =>
        receiver
          .at('/file')
          .find(
            (r) =>
              (JSON.parse(r.body) as { data: { conversation_id: string } }).data.conversation_id ===
              conversation.id,
          ),
      { what: 'the bootstrap endpoint to hear of the conversation' },
    );
    assert.ok(
      validSignature(FILE_SECRET, request.headers['postroom-signature'] as string, request.body),
    );
    const list = (await (await call('/v1/admin/webhooks')).json()) as { data: Json[] };
    const file = list.data.find((e) => e.key === 'crm');
    assert.equal(file?.source, 'bootstrap');
    assert.equal(file?.secret, undefined);
    const patched = await call(`/v1/admin/webhooks/${file?.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: false }),
    });
    assert.equal((await errorOf(patched, 409)).code, 'managed_by_bootstrap');
  });

  test('keeps failing: failed after the last attempt, listed, then replayed once it recovers', async () => {
    receiver.script('/down', [], 'fail');
    const endpoint = await createEndpoint('/down', ['conversation.created', 'message.created']);
    assert.match(String(endpoint.secret), /^whsec_/, 'a generated secret is shown once');
    const secret = String(endpoint.secret);
    const shown = (await (await call(`/v1/admin/webhooks/${endpoint.id}`)).json()) as Json;
    assert.equal(shown.secret, undefined);

    const conversation = await newConversation('Refund request');
    const failed = await waitUntil(
      async () => {
        const found = await deliveryOf(endpoint.id, conversation.id);
        return found?.status === 'failed' ? found : undefined;
      },
      { what: 'the delivery to fail for good' },
    );
    assert.equal(failed.attempts, MAX_ATTEMPTS);
    assert.equal(failed.last_status_code, 500);
    assert.equal(receiver.at('/down').length, MAX_ATTEMPTS);

    const listed = await deliveries(endpoint.id, '?status=failed');
    assert.deepEqual(
      listed.map((d) => d.id),
      [failed.id],
    );
    assert.deepEqual(await deliveries(endpoint.id, '?status=delivered'), []);
    const badFilter = await call(`/v1/admin/webhooks/${endpoint.id}/deliveries?status=lost`);
    assert.match((await errorOf(badFilter, 400)).message, /^query\.status: unknown value "lost"/);

    receiver.script('/down', [], 'ok');
    const replay = await post(
      `/v1/admin/webhooks/${endpoint.id}/deliveries/${failed.id}/replay`,
      {},
    );
    assert.equal(replay.status, 202, await replay.clone().text());
    const again = await post(
      `/v1/admin/webhooks/${endpoint.id}/deliveries/${failed.id}/replay`,
      {},
    );
    // Pending (or already delivered): only failed deliveries are replayed.
    assert.equal((await errorOf(again, 409)).code, 'delivery_not_failed');
    const delivered = await waitUntil(
      async () => {
        const found = await deliveryOf(endpoint.id, conversation.id);
        return found?.status === 'delivered' ? found : undefined;
      },
      { what: 'the replayed delivery to succeed' },
    );
    assert.equal(delivered.attempts, MAX_ATTEMPTS + 1);
    const accepted = receiver.at('/down').filter((r) => r.answered === 204);
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.headers['postroom-event-id'], failed.event_id);
    assert.ok(
      validSignature(
        secret,
        accepted[0]?.headers['postroom-signature'] as string,
        accepted[0]?.body ?? '',
      ),
    );
  });

  test('a message posted in the conversation is a message.created event', async () => {
    receiver.script('/messages', [], 'ok');
    const endpoint = await createEndpoint('/messages', ['message.created']);
    const conversation = await newConversation('Notes');
    const message = await created(
      await post(`/v1/messaging/conversations/${conversation.id}/messages`, {
        body: 'Checking the warehouse',
        visibility: 'internal',
        channel: 'message',
      }),
    );
    const delivered = await waitUntil(
      async () => {
        const found = await deliveryOf(endpoint.id, conversation.id);
        return found?.status === 'delivered' ? found : undefined;
      },
      { what: 'the message.created delivery' },
    );
    assert.equal(delivered.event_type, 'message.created');
    const payload = delivered.payload as { message: { id: string; visibility: string } };
    assert.equal(payload.message.id, message.id);
    assert.equal(payload.message.visibility, 'internal');
  });

  test('redacting the conversation erases its payloads in the delivery records', async () => {
    const endpoint = await createEndpoint('/redacted', ['conversation.created']);
    const conversation = await newConversation('Jane Doe, 12 High Street');
    await waitUntil(
      async () => (await deliveryOf(endpoint.id, conversation.id))?.status === 'delivered',
      {
        what: 'the delivery',
      },
    );
    const redacted = await post(
      `/v1/messaging/conversations/${conversation.id}/actions/redact`,
      {},
    );
    assert.equal(redacted.status, 200, await redacted.clone().text());
    const record = await deliveryOf(endpoint.id, conversation.id);
    assert.deepEqual(record?.payload, { redacted: true, conversation_id: conversation.id });
    assert.doesNotMatch(JSON.stringify(record), /Jane Doe/);
  });
});

describe('webhook admin rules', () => {
  test('private and loopback URLs the operator did not allow are refused', async () => {
    for (const [url, reason] of [
      ['http://10.0.0.7/hook', '10.0.0.7 is a private (RFC 1918) address'],
      ['http://[::1]:9/hook', '::1 is a loopback address'],
      ['http://169.254.169.254/latest', '169.254.169.254 is a link-local address'],
    ] as const) {
      const error = await errorOf(
        await post('/v1/admin/webhooks', { url, events: ['message.created'] }),
        422,
      );
      assert.equal(error.code, 'outbound_address_refused');
      assert.equal(
        error.message,
        `body.url: ${reason}; Postroom refuses loopback, private and link-local destinations unless POSTROOM_OUTBOUND_ALLOW lists them`,
      );
    }
  });

  test('bad bodies name the field', async () => {
    const unknownEvent = await errorOf(
      await post('/v1/admin/webhooks', { url: `${receiver.url}/x`, events: ['message.eaten'] }),
      400,
    );
    assert.match(unknownEvent.message, /^body\.events\.0: Invalid option/);
    const shortSecret = await errorOf(
      await post('/v1/admin/webhooks', {
        url: `${receiver.url}/x`,
        events: ['message.created'],
        secret: 'short',
      }),
      400,
    );
    assert.match(shortSecret.message, /^body\.secret/);
  });

  test('the admin permission is required', async () => {
    const response = await call('/v1/admin/webhooks', { key: READER_KEY });
    assert.equal(response.status, 403);
  });

  test("another account cannot see, list or replay this account's endpoints and deliveries", async () => {
    receiver.script('/isolated', [], 'fail');
    const endpoint = await createEndpoint('/isolated', ['conversation.created']);
    const conversation = await newConversation('Acme only');
    const failed = await waitUntil(
      async () => {
        const found = await deliveryOf(endpoint.id, conversation.id);
        return found?.status === 'failed' ? found : undefined;
      },
      { what: 'a failed delivery' },
    );
    const theirs = (await (await call('/v1/admin/webhooks', { key: GLOBEX_KEY })).json()) as {
      data: Json[];
    };
    assert.deepEqual(theirs.data, []);
    for (const response of [
      await call(`/v1/admin/webhooks/${endpoint.id}`, { key: GLOBEX_KEY }),
      await call(`/v1/admin/webhooks/${endpoint.id}/deliveries?status=failed`, { key: GLOBEX_KEY }),
      await post(
        `/v1/admin/webhooks/${endpoint.id}/deliveries/${failed.id}/replay`,
        {},
        GLOBEX_KEY,
      ),
      await call(`/v1/admin/webhooks/${endpoint.id}`, {
        method: 'DELETE',
        key: GLOBEX_KEY,
      }),
    ]) {
      assert.equal((await errorOf(response, 404)).code, 'resource_not_found');
    }
    // Their own endpoint cannot replay ours either.
    const own = await created(
      await post(
        '/v1/admin/webhooks',
        { url: `${receiver.url}/globex`, events: ['conversation.created'] },
        GLOBEX_KEY,
      ),
    );
    const crossed = await post(
      `/v1/admin/webhooks/${own.id}/deliveries/${failed.id}/replay`,
      {},
      GLOBEX_KEY,
    );
    assert.equal((await errorOf(crossed, 404)).code, 'resource_not_found');
    assert.equal((await deliveryOf(endpoint.id, conversation.id))?.status, 'failed');
    // Acme's conversations never reach globex's endpoint.
    assert.deepEqual(await deliveriesAs(own.id, GLOBEX_KEY), []);
  });

  test('a bootstrap endpoint the outbound rules refuse stops the start, naming the setting', async () => {
    const config = parseBootstrap(
      {
        accounts: [
          {
            id: 'acme',
            name: 'Acme',
            webhooks: [
              { id: 'x', url: 'http://127.0.0.1:9/hook', events: ['message.sent'], secret: SECRET },
            ],
          },
        ],
      },
      {},
    );
    await assert.rejects(
      applyWebhookBootstrap(
        {
          store: runtime.context.store,
          secrets: createSecretBox('a test key of at least thirty-two characters'),
          guard: createAddressGuard(NOTHING_ALLOWED),
          logger: createLogger('silent'),
        },
        config,
      ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.setting === 'POSTROOM_CONFIG accounts[0].webhooks[0].url' &&
        /127\.0\.0\.1 is a loopback address/.test(error.problem),
    );
  });
});

async function deliveriesAs(endpointId: string, key: string): Promise<Json[]> {
  const response = await call(`/v1/admin/webhooks/${endpointId}/deliveries`, { key });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { data: Json[] }).data;
}

describe('events read from the realtime publish points', () => {
  // The publishers the roles use, on the runtime's own store and Redis: what
  // a message.updated stands for is read from the message's stored state.
  const publisher = () =>
    webhookPublisher(redisPublisher(runtime.context.redis, runtime.prefix), {
      store: runtime.context.store,
    });

  test('message.updated of a sent, failed or finished draft message is message.sent, message.failed, draft.ready', async () => {
    receiver.script('/lifecycle', [], 'ok');
    const endpoint = await createEndpoint('/lifecycle', [
      'message.sent',
      'message.failed',
      'draft.ready',
    ]);
    const { store } = runtime.context;
    const conversation = await newConversation('Lifecycle');
    const base = {
      account_id: 'acme',
      conversation_id: conversation.id,
      kind: 'email',
      visibility: 'external',
      channel: 'email',
    } as const;
    const sent = await store.messages.appendSent({ ...base, body: 'Shipped today' });
    const failed = await store.messages.insert({ ...base, status: 'failed', body: 'Bounced' });
    const draft = await store.messages.insert({
      ...base,
      kind: 'agent',
      status: 'draft',
      agent_run_id: 'run_test',
      streaming_state: 'complete',
      body: 'A draft',
    });
    const streaming = await store.messages.insert({
      ...base,
      kind: 'agent',
      status: 'draft',
      agent_run_id: 'run_test_2',
      streaming_state: 'streaming',
      body: 'Still writing',
    });
    const events = publisher();
    for (const message of [sent, failed, draft, streaming, sent]) {
      await events.publish({
        type: 'message.updated',
        conversation_id: conversation.id,
        message_id: message._id,
      });
    }
    const delivered = await waitUntil(
      async () => {
        const found = await deliveries(endpoint.id);
        return found.length === 3 && found.every((d) => d.status === 'delivered')
          ? found
          : undefined;
      },
      { what: 'three delivered events' },
    );
    const byType = new Map(
      delivered.map((d) => [d.event_type, (d.payload as { message: { id: string } }).message.id]),
    );
    // The sent message published twice is one event; a streaming draft is none.
    assert.deepEqual(Object.fromEntries(byType), {
      'message.sent': sent._id,
      'message.failed': failed._id,
      'draft.ready': draft._id,
    });
  });

  test('emitWebhookEvent (the entry point other flows call) records mailbox.auth_failed', async () => {
    receiver.script('/mailbox', [], 'ok');
    const endpoint = await createEndpoint('/mailbox', ['mailbox.auth_failed'], SECRET);
    const added = await emitWebhookEvent(
      { store: runtime.context.store },
      'acme',
      'mailbox.auth_failed',
      { mailbox_id: 'support', error: 'token refresh refused' },
    );
    assert.equal(added, 1);
    // Another account's event never reaches this endpoint.
    assert.equal(
      await emitWebhookEvent({ store: runtime.context.store }, 'globex', 'mailbox.auth_failed', {
        mailbox_id: 'support',
      }),
      0,
    );
    const request = await waitUntil(() => receiver.at('/mailbox')[0], {
      what: 'the mailbox event',
    });
    assert.ok(
      validSignature(SECRET, request.headers['postroom-signature'] as string, request.body),
    );
    const body = JSON.parse(request.body) as { type: string; data: Record<string, unknown> };
    assert.equal(body.type, 'mailbox.auth_failed');
    assert.deepEqual(body.data, { mailbox_id: 'support', error: 'token refresh refused' });
    const [record] = await waitUntil(
      async () => {
        const found = await deliveries(endpoint.id);
        return found[0]?.status === 'delivered' ? found : undefined;
      },
      { what: 'the delivery record' },
    );
    assert.equal(record?.conversation_id, null);
    assert.equal(record?.event_id, (JSON.parse(request.body) as { id: string }).id);
  });
});
