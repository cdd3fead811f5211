// AES-256-GCM sealing of stored secrets: round trip, fresh IVs, bound to its
// record, and clear failures for another key or an altered value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecretBoxError, createSecretBox } from '../../../src/platform/secret-box.ts';

const KEY = 'a-long-random-operator-secret-key-0123456789';

describe('secret box', () => {
  test('seals and opens; the sealed text holds no trace of the secret', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('sk-tenant-key-123', 'agt_acme_triage');
    assert.match(sealed, /^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(!sealed.includes('sk-tenant'));
    assert.equal(box.open(sealed, 'agt_acme_triage'), 'sk-tenant-key-123');
    assert.equal(createSecretBox(KEY).open(sealed, 'agt_acme_triage'), 'sk-tenant-key-123');
    assert.notEqual(box.seal('same', 'x'), box.seal('same', 'x'), 'a fresh IV each time');
  });

  test('another record, another key or an altered value does not open', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('sk-tenant-key-123', 'agt_acme_triage');
    assert.throws(() => box.open(sealed, 'agt_globex_triage'), SecretBoxError);
    assert.throws(
      () => createSecretBox(`${KEY}-changed`).open(sealed, 'agt_acme_triage'),
      (error: unknown) =>
        error instanceof SecretBoxError && /POSTROOM_SECRET_KEY/.test(error.message),
    );
    const parts = sealed.split('.');
    const data = Buffer.from(parts[4] ?? '', 'base64url');
    data[0] = (data[0] ?? 0) ^ 1;
    parts[4] = data.toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'agt_acme_triage'), /does not decrypt/);
    assert.throws(() => box.open('plaintext-key', 'agt_acme_triage'), /not in a format/);
  });
});
