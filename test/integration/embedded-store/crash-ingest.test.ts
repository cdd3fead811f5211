// The host of the embedded store is SIGKILLed five times while it ingests 500
// distinct mails (250 from IMAP, 250 from a drop folder, in threads of five),
// and restarted each time on the same data directory. Afterwards every mail is
// stored exactly once, every message the API listed before a kill is still
// there, and sequences and case numbers run 1..n with no gap and no reuse.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { accountConfig, dropRedisPrefix, TEST_API_KEY } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';

const MAILS_PER_SOURCE = 250;
const THREAD = 5;
const KILL_AT = [50, 130, 210, 290, 370];

const imap = testImapServer();
const home = mkdtempSync(join(tmpdir(), 'postroom-crash-'));
const drop = join(home, 'drop');
const prefix = uniqueName('crash');
let proc: PostroomProcess | undefined;
let client: MongoClient | undefined;

after(async () => {
  await proc?.stop();
  await client?.close();
  await dropRedisPrefix(prefix);
  rmSync(home, { recursive: true, force: true });
});

function mail(source: string, n: number): { id: string; raw: string } {
  const id = `crash-${source}-${n}-${prefix}@customer.test`;
  const root =
    n % THREAD === 0 ? undefined : `crash-${source}-${n - (n % THREAD)}-${prefix}@customer.test`;
  const raw = [
    `From: Customer ${source} ${Math.floor(n / THREAD)} <c${Math.floor(n / THREAD)}@${source}.test>`,
    `To: ${source}@acme.test`,
    `Subject: ${root ? 'Re: ' : ''}Thread ${Math.floor(n / THREAD)} from ${source}`,
    `Message-ID: <${id}>`,
    ...(root ? [`In-Reply-To: <${root}>`, `References: <${root}>`] : []),
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Mail ${n} from ${source}.`,
    '',
  ].join('\r\n');
  return { id, raw };
}

interface Listed {
  id: string;
}

test(
  'five SIGKILLs of the store host during a 500-mail ingest lose, double and skip nothing',
  { timeout: 600_000 },
  async () => {
    const user = imap.userFor('crash');
    mkdirSync(drop, { recursive: true });
    const configPath = join(home, 'postroom.json');
    writeFileSync(
      configPath,
      JSON.stringify(
        accountConfig([
          {
            id: 'imap',
            address: 'imap@acme.test',
            imap: {
              host: imap.host,
              port: imap.port,
              secure: false,
              auth: { user, pass: imap.password },
              folder: 'INBOX',
            },
            outbox_folder: join(home, 'outbox-imap'),
            agents: [],
          },
          {
            id: 'drop',
            address: 'drop@acme.test',
            drop_folder: drop,
            outbox_folder: join(home, 'outbox-drop'),
            agents: [],
          },
        ]),
      ),
    );
    const expected = new Set<string>();
    for (let n = 0; n < MAILS_PER_SOURCE; n++) {
      const fromImap = mail('imap', n);
      await appendMessage(imap, user, fromImap.raw);
      expected.add(fromImap.id);
      const fromDrop = mail('drop', n);
      writeFileSync(join(home, `${n}.tmp`), fromDrop.raw);
      renameSync(join(home, `${n}.tmp`), join(drop, `mail-${String(n).padStart(3, '0')}.eml`));
      expected.add(fromDrop.id);
    }

    const apiPort = await freePort();
    const mongoPort = await freePort();
    const start = async (): Promise<PostroomProcess> => {
      const started = startPostroomProcess({
        POSTROOM_CONFIG: configPath,
        POSTROOM_DATA_DIR: join(home, 'data'),
        POSTROOM_EMBEDDED_MONGO_PORT: String(mongoPort),
        REDIS_URL: testRedisUrl(),
        POSTROOM_QUEUE_PREFIX: prefix,
        PORT: String(apiPort),
        LOG_LEVEL: 'info',
      });
      await started.waitForLog((l) => l.msg === 'postroom started', 'postroom to start');
      return started;
    };
    // Straight to the store, to know when to kill: the driver reconnects across restarts.
    client = new MongoClient(`mongodb://127.0.0.1:${mongoPort}/?directConnection=true`, {
      serverSelectionTimeoutMS: 30_000,
    });
    const messages = () => client!.db('postroom').collection('chat_messages');
    const storedCount = async (): Promise<number> => {
      try {
        return await messages().countDocuments({ 'email.message_id': { $type: 'string' } });
      } catch {
        return -1; // Between a kill and the restart.
      }
    };
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      });
      assert.equal(response.status, 200, path);
      return (await response.json()) as T;
    };
    /** Every message id the API lists now, walking every page. */
    const listedByApi = async (): Promise<string[]> => {
      const ids: string[] = [];
      const walk = async (first: string, onPage: (data: Listed[]) => Promise<void>) => {
        let next: string | null = first;
        while (next) {
          const page: { data: Listed[]; page_info: { next_page_url: string | null } } =
            await api(next);
          await onPage(page.data);
          next = page.page_info.next_page_url;
        }
      };
      await walk('/v1/messaging/conversations?limit=100', async (conversations) => {
        for (const conversation of conversations) {
          await walk(
            `/v1/messaging/conversations/${conversation.id}/messages?limit=100`,
            async (page) => {
              ids.push(...page.map((m) => m.id));
            },
          );
        }
      });
      return ids;
    };

    const listedBeforeKills = new Set<string>();
    for (const threshold of KILL_AT) {
      proc = await start();
      await waitUntil(async () => (await storedCount()) >= threshold, {
        what: `${threshold} stored mails`,
        timeoutMs: 120_000,
      });
      for (const id of await listedByApi()) listedBeforeKills.add(id);
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    proc = await start();
    await waitUntil(async () => (await storedCount()) >= expected.size, {
      what: `all ${expected.size} mails stored`,
      timeoutMs: 300_000,
    });

    const stored = await messages()
      .find({ 'email.message_id': { $type: 'string' } }, { projection: { email: 1 } })
      .toArray();
    const counts = new Map<string, number>();
    for (const m of stored) {
      const id = String((m.email as { message_id: string }).message_id).replace(/^<|>$/g, '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [...expected].sort(), 'every mail stored');
    assert.deepEqual(
      [...counts.values()].filter((c) => c !== 1),
      [],
      'each exactly once',
    );

    const all = await messages()
      .find({}, { projection: { conversation_id: 1, sequence: 1 } })
      .toArray();
    assert.ok(listedBeforeKills.size > 0);
    const present = new Set(all.map((m) => String(m._id)));
    for (const id of listedBeforeKills)
      assert.ok(present.has(id), `listed before a kill, then lost: ${id}`);

    const byConversation = new Map<string, number[]>();
    for (const m of all) {
      if (typeof m.sequence !== 'number') continue;
      const list = byConversation.get(String(m.conversation_id)) ?? [];
      list.push(m.sequence);
      byConversation.set(String(m.conversation_id), list);
    }
    for (const [conversation, sequences] of byConversation) {
      sequences.sort((a, b) => a - b);
      assert.deepEqual(
        sequences,
        Array.from({ length: sequences.length }, (_, i) => i + 1),
        `sequences of ${conversation}`,
      );
    }
    const cases = await client
      .db('postroom')
      .collection('conversations')
      .find({}, { projection: { case_number: 1 } })
      .toArray();
    const numbers = cases.map((c) => Number(c.case_number)).sort((a, b) => a - b);
    assert.deepEqual(
      numbers,
      Array.from({ length: numbers.length }, (_, i) => i + 1),
      'case numbers 1..n',
    );
  },
);
