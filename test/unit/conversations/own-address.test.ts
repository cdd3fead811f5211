import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalAddress,
  matchOwnAddress,
  ownAddressBook,
  ownSenderReason,
  withoutOwnAddresses,
} from '../../../src/conversations/own-address.ts';

const book = ownAddressBook([
  { key: 'support', address: 'support@acme.test', aliases: ['help@acme.test', 'Desk@Acme.Test'] },
  { key: 'sales', address: 'sales@acme.test' },
]);

describe('own addresses', () => {
  test('canonical form: lower case, plus tag dropped, trimmed', () => {
    assert.equal(canonicalAddress(' Support+Case-12@ACME.test '), 'support@acme.test');
    assert.equal(canonicalAddress('support@acme.test'), 'support@acme.test');
    // A local part that starts with "+" has no tag to drop.
    assert.equal(canonicalAddress('+tag@acme.test'), '+tag@acme.test');
    assert.equal(canonicalAddress('not-an-address'), 'not-an-address');
  });

  test('every mailbox address and alias of the account is ours, however it is written', () => {
    for (const [address, mailbox, kind] of [
      ['support@acme.test', 'support', 'address'],
      ['SUPPORT@ACME.TEST', 'support', 'address'],
      ['support+x@acme.test', 'support', 'address'],
      ['help@acme.test', 'support', 'alias'],
      ['help+tag@ACME.test', 'support', 'alias'],
      ['desk@acme.test', 'support', 'alias'],
      ['sales@acme.test', 'sales', 'address'],
    ] as const) {
      const match = matchOwnAddress(address, book);
      assert.equal(match?.mailbox, mailbox, address);
      assert.equal(match?.kind, kind, address);
    }
  });

  test('anyone else is not ours', () => {
    for (const address of [
      'jane@example.com',
      'support@acme.test.example.com',
      'support@other.test',
      'supporter@acme.test',
      'xsupport@acme.test',
      '',
      null,
      undefined,
    ]) {
      assert.equal(matchOwnAddress(address, book), null, String(address));
    }
  });

  test('the reason names the address, the mailbox and the rule', () => {
    const match = matchOwnAddress('help@acme.test', book);
    assert.ok(match);
    const reason = ownSenderReason('Help@acme.test', match);
    assert.match(reason, /^own_address: /);
    assert.match(reason, /Help@acme\.test/);
    assert.match(reason, /alias of mailbox "support"/);
    assert.match(reason, /never opens a case/);
  });

  test('recipients: own addresses are dropped from To and Cc', () => {
    const jane: { name: string | null; address: string } = {
      name: 'Jane',
      address: 'jane@example.com',
    };
    const bob = { name: null, address: 'bob@example.com' };
    const self = { name: 'Acme', address: 'Support+7@acme.test' };
    const alias = { name: null, address: 'help@acme.test' };
    assert.deepEqual(withoutOwnAddresses({ to: [jane, self], cc: [alias, bob] }, book), {
      to: [jane],
      cc: [bob],
      dropped: [self, alias],
    });
    assert.deepEqual(withoutOwnAddresses({ to: [jane], cc: [] }, book), {
      to: [jane],
      cc: [],
      dropped: [],
    });
  });

  test('recipients: To left empty takes the remaining Cc; nothing left means none', () => {
    const bob = { name: null, address: 'bob@example.com' };
    const self = { name: null, address: 'sales@acme.test' };
    assert.deepEqual(withoutOwnAddresses({ to: [self], cc: [bob] }, book), {
      to: [bob],
      cc: [],
      dropped: [self],
    });
    assert.deepEqual(withoutOwnAddresses({ to: [self], cc: [] }, book), {
      to: [],
      cc: [],
      dropped: [self],
    });
  });
});
