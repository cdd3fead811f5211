import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scrubCredentials } from '../../../src/store/connect.ts';
import { isDuplicateKeyError } from '../../../src/store/errors.ts';
import {
  agentIdFor,
  bareMessageId,
  mailboxIdFor,
  newId,
  newReplyToken,
} from '../../../src/store/ids.ts';
import { UNIQUE_INDEX } from '../../../src/store/index-names.ts';

describe('ids', () => {
  test('newId is a prefix and 24 hex digits, increasing within a process', () => {
    const ids = Array.from({ length: 50 }, () => newId('msg'));
    for (const id of ids) assert.match(id, /^msg_[0-9a-f]{24}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('bootstrap ids are deterministic', () => {
    assert.equal(agentIdFor('acme', 'drafter'), 'agt_acme_drafter');
    assert.equal(mailboxIdFor('acme', 'support'), 'mbx_acme_support');
  });

  test('bareMessageId drops angle brackets and spaces', () => {
    assert.equal(bareMessageId(' <a.b@example.test> '), 'a.b@example.test');
    assert.equal(bareMessageId('a@b'), 'a@b');
  });

  test('reply tokens are 16 lower-case hex digits and differ', () => {
    const a = newReplyToken();
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.notEqual(a, newReplyToken());
  });
});

describe('isDuplicateKeyError', () => {
  const sequenceDup = {
    code: 11000,
    message: `E11000 duplicate key error collection: db.chat_messages index: ${UNIQUE_INDEX.messageSequence} dup key: { conversation_id: "c", sequence: 1 }`,
    keyPattern: { conversation_id: 1, sequence: 1 },
  };

  test('recognises E11000 by code or message', () => {
    assert.equal(isDuplicateKeyError(sequenceDup), true);
    assert.equal(isDuplicateKeyError({ message: 'E11000 duplicate key error' }), true);
    assert.equal(isDuplicateKeyError({ code: 11001 }), true);
    assert.equal(isDuplicateKeyError(new Error('boom')), false);
    assert.equal(isDuplicateKeyError(null), false);
  });

  test('tells indexes apart by name or key pattern', () => {
    assert.equal(isDuplicateKeyError(sequenceDup, UNIQUE_INDEX.messageSequence), true);
    assert.equal(isDuplicateKeyError(sequenceDup, UNIQUE_INDEX.messageDedupeKey), false);
    const byPatternOnly = {
      code: 11000,
      message: 'duplicate',
      keyPattern: { conversation_id: 1, client_message_id: 1 },
    };
    assert.equal(isDuplicateKeyError(byPatternOnly, UNIQUE_INDEX.messageClientId), true);
    assert.equal(isDuplicateKeyError(byPatternOnly, UNIQUE_INDEX.messageSequence), false);
  });
});

describe('scrubCredentials', () => {
  test('cuts the URI credentials and any quoted connection string out of a message', () => {
    const uri = 'mongodb://admin:p%40ss-word@h1:27017,h2:27017/db?replicaSet=rs';
    const message = 'auth failed for admin with p@ss-word at mongodb://admin:p%40ss-word@h1:27017';
    const scrubbed = scrubCredentials(message, uri);
    assert.ok(!scrubbed.includes('p@ss-word') && !scrubbed.includes('p%40ss-word'), scrubbed);
    assert.ok(!scrubbed.includes('admin'), scrubbed);
    assert.equal(scrubCredentials('plain', 'mongodb://127.0.0.1/db'), 'plain');
  });
});
