// A delivery process SIGKILLed in the middle of a burst of 100 sends, on a
// mailbox without IMAP: a second process finishes the burst, every message
// ends `sent` (at least once at the SMTP server, with its sequence), none
// `failed`, and how many the customer got twice is counted and bounded.
//
// Why duplicates happen and what bounds them: an attempt is counted in MongoDB
// (sending_at) before its SMTP transaction, and a receipt goes to Redis the
// moment the server answers 250. A process killed after the server took the
// message but before that receipt leaves the message `scheduled` with no
// receipt, and without IMAP there is no Sent folder to ask, so the job that
// resumes it (BullMQ's stalled-job recovery in the survivor once the dead
// worker's 15 s lock expires and two stall checks pass, about 25 s:
// QUICK_RECOVERY in queues/queues.ts; the reconciler after interruptedAfterMs
// if that job were lost) sends it again, with the same Message-ID. Only a transaction
// in flight at the kill can be lost this way, and the killed process has at
// most pool_size (5) connections to the mailbox's server, one transaction
// each: at most 5 duplicates, each received at most twice. The test server
// stalls its DATA reply after recording the message, so every transaction in
// flight at the kill is such a duplicate: the figure printed is the worst
// case, not the usual one (a real server's 250 leaves a window of
// milliseconds). crash-burst-sent-folder.test.ts is the same kill with IMAP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { killedBurst, POOL_SIZE, TOTAL, type Burst } from './burst.ts';
import { tempDir } from './helpers.ts';

let smtp: SmtpTestServer;
let burst: Burst;

before(async () => {
  smtp = await startSmtpTestServer();
  burst = killedBurst('crash-burst', smtp, { drop_folder: tempDir('drop') });
});

after(async () => {
  await burst?.cleanup();
  await smtp?.stop();
});

describe('delivery worker SIGKILLed during a burst', () => {
  test(
    `all ${TOTAL} messages end sent, duplicates at most pool_size`,
    { timeout: 150_000 },
    async () => {
      const result = await burst.run();
      const { received } = result;
      const duplicated = [...received.values()].filter((n) => n > 1);
      const maxCopies = Math.max(...received.values());
      console.log(
        `crash-burst: ${TOTAL} messages, ${result.deliveries} SMTP deliveries, ` +
          `${duplicated.length} received twice or more (max copies ${maxCopies}); ` +
          `${result.receivedBeforeKill} received before the kill, ${result.resumed} resumed after it; ` +
          `all sent ${result.recoveredMs} ms after the kill (bound: one duplicate per SMTP ` +
          `connection of the killed process, pool_size ${POOL_SIZE})`,
      );
      assert.equal(result.deliveries, TOTAL + duplicated.reduce((s, n) => s + n - 1, 0));
      // Only a transaction in flight at the kill can be resent: at most one per pool connection.
      assert.ok(maxCopies <= 2, 'no message was received more than twice');
      assert.ok(
        duplicated.length <= POOL_SIZE,
        `at most pool_size (${POOL_SIZE}) duplicates, got ${duplicated.length}`,
      );
      // Each of them was resent for want of a Sent folder, and said so.
      const resends = result.survivor.lines.filter((l) => l.reason === 'no_sent_folder');
      assert.ok(resends.length >= duplicated.length, 'each resend is logged with its reason');
    },
  );
});
