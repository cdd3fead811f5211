// A Postroom home for the process-level embedded-store tests: a bootstrap
// file with one drop-folder mailbox, mail dropped into it as a mail delivery
// agent would (written aside, renamed into place whole), and the case
// numbers the API lists.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountConfig, TEST_API_KEY } from '../../support/runtime.ts';

export interface DropFolderHome {
  home: string;
  configPath: string;
  /** Drop mail number `n` (its Message-ID unique to `tag`). */
  dropMail(n: number): void;
}

export function dropFolderHome(label: string, tag: string): DropFolderHome {
  const home = mkdtempSync(join(tmpdir(), `postroom-${label}-`));
  const drop = join(home, 'drop');
  mkdirSync(drop, { recursive: true });
  const configPath = join(home, 'postroom.json');
  writeFileSync(
    configPath,
    JSON.stringify(
      accountConfig([
        {
          id: 'support',
          address: 'support@acme.test',
          drop_folder: drop,
          outbox_folder: join(home, 'outbox'),
          agents: [],
        },
      ]),
    ),
  );
  return {
    home,
    configPath,
    dropMail(n) {
      const raw = [
        `From: Customer ${n} <customer${n}@customer.test>`,
        'To: support@acme.test',
        `Subject: Question ${n}`,
        `Message-ID: <${label}-${n}-${tag}@customer.test>`,
        'Date: Mon, 06 May 2024 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Question number ${n}.`,
        '',
      ].join('\r\n');
      writeFileSync(join(home, `mail-${n}.tmp`), raw);
      renameSync(join(home, `mail-${n}.tmp`), join(drop, `mail-${n}.eml`));
    },
  };
}

/** The case numbers the API lists (first 100), ascending. */
export async function caseNumbers(apiPort: number): Promise<number[]> {
  const response = await fetch(`http://127.0.0.1:${apiPort}/v1/messaging/conversations?limit=100`, {
    headers: { authorization: `Bearer ${TEST_API_KEY}` },
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { data: Array<{ case_number: string }> };
  return body.data.map((c) => Number(c.case_number)).sort((a, b) => a - b);
}
