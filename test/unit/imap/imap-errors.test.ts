import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyFailure, describeError } from '../../../src/mail/imap/imap-errors.ts';

function imapError(fields: Record<string, unknown>, message = 'Command failed'): Error {
  return Object.assign(new Error(message), fields);
}

describe('IMAP failure classification', () => {
  test('refused credentials wait the long auth delay', () => {
    assert.equal(classifyFailure(imapError({ authenticationFailed: true })), 'auth');
    assert.equal(
      classifyFailure(
        imapError({ authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' }),
      ),
      'auth',
    );
  });

  test('a server that cannot check credentials right now ([UNAVAILABLE]) is an outage', () => {
    assert.equal(
      classifyFailure(imapError({ authenticationFailed: true, serverResponseCode: 'UNAVAILABLE' })),
      'transient',
    );
  });

  test('network errors, timeouts and anything else are transient', () => {
    assert.equal(classifyFailure(imapError({ code: 'ECONNREFUSED' })), 'transient');
    assert.equal(classifyFailure(new Error('boom')), 'transient');
    assert.equal(classifyFailure('a string'), 'transient');
    assert.equal(classifyFailure(undefined), 'transient');
  });

  test('describeError keeps the server words and the code', () => {
    assert.equal(
      describeError(
        imapError({
          serverResponseCode: 'AUTHENTICATIONFAILED',
          responseText: 'Authentication failed.',
        }),
      ),
      'Command failed [AUTHENTICATIONFAILED] Authentication failed.',
    );
    assert.equal(
      describeError(imapError({ code: 'ETIMEOUT' }, 'Socket timeout')),
      'Socket timeout (ETIMEOUT)',
    );
    assert.equal(describeError('plain'), 'plain');
  });
});
