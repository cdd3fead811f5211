// Smoke test of the SMTP test server through nodemailer, the client Postroom
// uses: messages are recorded, and each injected fault reaches the client as the
// error the delivery code will have to handle.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';

type SmtpError = Error & { code?: string; responseCode?: number; command?: string };

let smtp: SmtpTestServer;

before(async () => {
  smtp = await startSmtpTestServer();
});

after(() => smtp.stop());

beforeEach(() => {
  smtp.reset();
  smtp.messages.length = 0;
});

function transport(options: SMTPTransport.Options = {}) {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ...options,
  });
}

function reply(subject: string, to: string | string[] = 'customer@example.com') {
  return {
    from: 'Support <support@example.com>',
    to,
    subject,
    text: 'Your order ships tomorrow.',
    headers: { 'In-Reply-To': '<order-42@example.com>' },
  };
}

describe('SMTP test server', () => {
  test('records the envelope and the raw message with its headers', async () => {
    const before = smtp.attempts;
    const info = await transport().sendMail(reply('Re: Where is my order'));
    assert.deepEqual(info.accepted, ['customer@example.com']);

    const [message] = await smtp.waitForMessages(1);
    assert.ok(message);
    assert.deepEqual(message.envelope, {
      from: 'support@example.com',
      to: ['customer@example.com'],
    });
    const raw = message.raw.toString('utf8');
    assert.match(raw, /^Subject: Re: Where is my order\r$/m);
    assert.match(raw, /^In-Reply-To: <order-42@example.com>\r$/m);
    assert.match(
      raw,
      new RegExp(`^Message-ID: ${info.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r$`, 'm'),
    );
    assert.match(raw, /Your order ships tomorrow\./);
    assert.ok(message.receivedAt instanceof Date);
    assert.equal(smtp.attempts, before + 1);
  });

  test('accepts AUTH with any credentials and records the user', async () => {
    await transport({ auth: { user: 'postroom', pass: 'anything' } }).sendMail(
      reply('Authenticated'),
    );
    const [message] = await smtp.waitForMessages(1);
    assert.equal(message?.user, 'postroom');
  });

  test('failNext 451 at DATA fails one send with responseCode 451, then delivers', async () => {
    smtp.failNext({ code: 451, at: 'data' });
    const attemptsBefore = smtp.attempts;
    await assert.rejects(transport().sendMail(reply('Temporary failure')), (error: SmtpError) => {
      assert.equal(error.responseCode, 451);
      assert.equal(error.code, 'EMESSAGE');
      return true;
    });
    assert.equal(smtp.messages.length, 0);
    await transport().sendMail(reply('Second try'));
    assert.equal(smtp.messages.length, 1);
    assert.equal(smtp.attempts, attemptsBefore + 2);
  });

  test('421 at MAIL FROM closes the session with responseCode 421', async () => {
    smtp.failNext({ code: 421, at: 'mail', count: 2 });
    for (let i = 0; i < 2; i += 1) {
      await assert.rejects(transport().sendMail(reply('Unavailable')), (error: SmtpError) => {
        assert.equal(error.responseCode, 421);
        return true;
      });
    }
    await transport().sendMail(reply('Back again'));
    assert.equal(smtp.messages.length, 1);
  });

  test('550 on RCPT for one of two recipients is reported in info.rejected, not thrown', async () => {
    smtp.failNext({ code: 550, at: 'rcpt', recipient: 'gone@example.com' });
    const info = await transport().sendMail(
      reply('Partly', ['customer@example.com', 'gone@example.com']),
    );
    assert.deepEqual(info.accepted, ['customer@example.com']);
    assert.deepEqual(info.rejected, ['gone@example.com']);
    const [message] = await smtp.waitForMessages(1);
    assert.deepEqual(message?.envelope.to, ['customer@example.com']);
  });

  test('550 on RCPT for the only recipient rejects the send', async () => {
    smtp.failNext({ code: 550, at: 'rcpt', message: 'No such user' });
    await assert.rejects(transport().sendMail(reply('Nobody')), (error: SmtpError) => {
      assert.equal(error.responseCode, 550);
      assert.equal(error.code, 'EENVELOPE');
      return true;
    });
  });

  test('failAlways fails every send until reset()', async () => {
    smtp.failAlways(554);
    for (let i = 0; i < 2; i += 1) {
      await assert.rejects(transport().sendMail(reply('Refused')), { responseCode: 554 });
    }
    smtp.reset();
    await transport().sendMail(reply('Accepted'));
    assert.equal(smtp.messages.length, 1);
  });

  test('a dropped connection fails the send and records nothing', async () => {
    smtp.dropConnectionNext(1);
    await assert.rejects(transport().sendMail(reply('Dropped')), (error: SmtpError) => {
      assert.equal(error.responseCode, undefined);
      assert.ok(error.code, `a connection-level error code (${error.message})`);
      return true;
    });
    assert.equal(smtp.messages.length, 0);
    smtp.dropConnectionNext(1, 'rcpt');
    await assert.rejects(transport().sendMail(reply('Dropped at RCPT')));
    await transport().sendMail(reply('Delivered'));
    assert.equal(smtp.messages.length, 1);
  });

  test('a stalled DATA reply makes the client time out; the server still keeps the message', async () => {
    smtp.stallNext(5_000);
    await assert.rejects(
      transport({ socketTimeout: 200 }).sendMail(reply('Stalled')),
      (error: SmtpError) => {
        assert.equal(error.code, 'ETIMEDOUT');
        return true;
      },
    );
    // The message was in before the reply was held back: what a real server may do too.
    const [message] = await smtp.waitForMessages(1);
    assert.match(message?.raw.toString('utf8') ?? '', /^Subject: Stalled\r$/m);
  });
});

test('stop() returns while a DATA reply is stalled', async () => {
  const own = await startSmtpTestServer();
  own.stallNext(60_000);
  const sending = nodemailer
    .createTransport({ host: own.host, port: own.port, secure: false })
    .sendMail(reply('Never answered'));
  await own.waitForMessages(1);
  await own.stop();
  await assert.rejects(sending);
});
