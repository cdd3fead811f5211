// Streamed messages carry the same signed, time-limited attachment URLs as the
// JSON responses: a client can show an image from an event without the API key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { redisPublisher } from '../../../src/realtime/events.ts';
import { TEST_API_KEY, type TestRuntime } from '../../support/runtime.ts';
import { createCase, startAgentsRuntime, stopRuntime, type Json } from './helpers.ts';
import { SseClient } from './sse-client.ts';

let runtime: TestRuntime;
let client: SseClient | undefined;

before(async () => {
  runtime = await startAgentsRuntime();
});
after(async () => {
  client?.close();
  await stopRuntime(runtime);
});

describe('attachments in conversation events', () => {
  test('message frames carry signed URLs that download without the API key', async () => {
    const store = runtime.context.store;
    const conversation = await createCase(store);
    const bytes = Buffer.from('%PDF-1.4 invoice');
    const file = await store.files.put('invoice.pdf', bytes, {
      account_id: conversation.account_id,
      purpose: 'attachment',
      content_type: 'application/pdf',
      mailbox_id: 'support',
    });
    const message = await store.messages.appendSent({
      account_id: conversation.account_id,
      conversation_id: conversation._id,
      kind: 'chat',
      visibility: 'internal',
      channel: 'message',
      body: 'The invoice',
      attachments: [
        {
          kind: 'file',
          filename: 'invoice.pdf',
          content_type: 'application/pdf',
          size_bytes: bytes.length,
          gridfs_id: file.id,
          content_id: null,
          inline: false,
          checksum: file.checksum,
          url: null,
        },
      ],
    });

    // Replayed from a moment before the message, so the frame comes from the catch-up read.
    client = await SseClient.open(
      `${runtime.api}/v1/messaging/conversations/${conversation._id}/events`,
      { authorization: `Bearer ${TEST_API_KEY}`, 'last-event-id': `${Date.now() - 10_000}-1` },
    );
    assert.equal(client.response.status, 200);
    const frame = await client.next(
      (f) => f.event === 'message.updated' && (f.data as Json).id === message._id,
      'the message frame',
    );
    const attachments = (frame.data as { attachments: { data: Array<{ url: string }> } })
      .attachments.data;
    const url = attachments[0]?.url ?? '';
    assert.match(url, /\/download\?account=acme&expires=\d+&signature=[\w-]{43}$/);
    const download = await fetch(`${runtime.api}${url}`);
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(bytes));

    // A live event renders the message again: signed the same way.
    await redisPublisher(runtime.context.redis, runtime.prefix).publish({
      type: 'message.created',
      conversation_id: conversation._id,
      message_id: message._id,
    });
    const live = await client.next((f) => f.event === 'message.created', 'the live frame');
    const liveUrl = (live.data as { attachments: { data: Array<{ url: string }> } }).attachments
      .data[0]?.url;
    assert.match(liveUrl ?? '', /\/download\?account=acme&expires=\d+&signature=/);
  });
});
