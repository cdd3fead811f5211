// Signed attachment URLs: what a URL proves, for how long, and that every
// attachment path in a response body is signed and nothing else is touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../../src/api/errors.ts';
import { createUrlSigner, signAttachmentUrls } from '../../../src/api/signed-urls.ts';

const signer = createUrlSigner('unit-test-signing-key-0123456789abcdef', 3600);
const at = new Date('2026-11-23T12:00:30Z');

function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url, 'http://x').searchParams);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return `${error.status} ${error.code}`;
  }
  return 'accepted';
}

describe('signed attachment URLs', () => {
  test('a URL names its account and attachment and expires within ttl + 5 minutes', () => {
    const url = signer.attachmentUrl('acme', 'att_1', at);
    assert.match(url, /^\/v1\/messaging\/attachments\/att_1\/download\?account=acme&expires=\d+&/);
    const expires = Number(queryOf(url).expires);
    const seconds = expires - at.getTime() / 1000;
    assert.ok(seconds >= 3600 && seconds < 3600 + 300, String(seconds));
    assert.equal(expires % 300, 0, 'rounded, so the URL is stable for a while');
    assert.equal(signer.attachmentUrl('acme', 'att_1', new Date(at.getTime() + 1000)), url);
    assert.deepEqual(signer.verify(queryOf(url), 'att_1', at), {
      account_id: 'acme',
      attachment_id: 'att_1',
    });
  });

  test('valid until its expiry, refused from then on', () => {
    const query = queryOf(signer.attachmentUrl('acme', 'att_1', at));
    const expiry = new Date(Number(query.expires) * 1000);
    assert.doesNotThrow(() => signer.verify(query, 'att_1', new Date(expiry.getTime() - 1)));
    assert.equal(
      refusal(() => signer.verify(query, 'att_1', expiry)),
      '403 url_expired',
    );
  });

  test('any change to what was signed, or another key, breaks the signature', () => {
    const query = queryOf(signer.attachmentUrl('acme', 'att_1', at));
    const other = createUrlSigner('another-signing-key-0123456789abcdefgh', 3600);
    const cases: Array<[string, () => unknown]> = [
      ['other attachment', () => signer.verify(query, 'att_2', at)],
      ['other account', () => signer.verify({ ...query, account: 'globex' }, 'att_1', at)],
      ['later expiry', () => signer.verify({ ...query, expires: '99999999999' }, 'att_1', at)],
      [
        'truncated',
        () => signer.verify({ ...query, signature: query.signature!.slice(1) }, 'att_1', at),
      ],
      ['other key', () => other.verify(query, 'att_1', at)],
    ];
    for (const [what, check] of cases) assert.equal(refusal(check), '403 invalid_signature', what);
  });

  test('missing or malformed parameters are 400s naming the parameter', () => {
    const query = queryOf(signer.attachmentUrl('acme', 'att_1', at));
    for (const name of ['account', 'expires', 'signature']) {
      const { [name]: _dropped, ...rest } = query;
      assert.equal(
        refusal(() => signer.verify(rest, 'att_1', at)),
        '400 missing_parameter',
        name,
      );
    }
    assert.equal(
      refusal(() => signer.verify({ ...query, expires: '1e12' }, 'att_1', at)),
      '400 invalid_parameter',
    );
  });

  test('a response body: attachment paths are signed, links and other URLs are left alone', () => {
    const body = {
      object: 'list',
      data: [
        {
          object: 'chat_message',
          body: 'see /v1/messaging/attachments/att_9',
          attachments: {
            object: 'list',
            data: [
              { object: 'message_attachment', id: 'att_1', url: '/v1/messaging/attachments/att_1' },
              { object: 'message_attachment', id: 'att_2', url: 'https://example.com/doc' },
              { object: 'message_attachment', id: 'att_3', url: null },
            ],
          },
        },
      ],
      page_info: { next_page_url: '/v1/messaging/conversations?after=x' },
    };
    signAttachmentUrls(body, 'acme', signer);
    const [file, link, resource] = body.data[0]!.attachments.data;
    assert.match(
      String(file!.url),
      /^\/v1\/messaging\/attachments\/att_1\/download\?account=acme&/,
    );
    assert.equal(link!.url, 'https://example.com/doc');
    assert.equal(resource!.url, null);
    assert.equal(body.data[0]!.body, 'see /v1/messaging/attachments/att_9');
    assert.equal(body.page_info.next_page_url, '/v1/messaging/conversations?after=x');
  });
});
