// What `postroom import` reads: .eml files, mbox files and Maildir folders,
// each message as its raw bytes. A folder with cur/ and new/ is a Maildir; any
// other folder is searched for .eml files; a file starting "From " is an mbox.
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface SourceMessage {
  /** Where it came from, for the summary and the store: `file.mbox#12`, `Maildir/cur/123...`. */
  name: string;
  raw: Buffer;
}

type MailSourceKind = 'eml' | 'mbox' | 'maildir' | 'folder';

async function kindOf(path: string): Promise<MailSourceKind> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const entries = new Set(await readdir(path));
    return entries.has('cur') && entries.has('new') ? 'maildir' : 'folder';
  }
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    await handle.read(head, 0, 5, 0);
    return head.toString('latin1') === 'From ' ? 'mbox' : 'eml';
  } finally {
    await handle.close();
  }
}

/** How many messages a source holds (for the progress bar): an mbox is counted by its "From " lines. */
export async function countMessages(path: string): Promise<number> {
  const kind = await kindOf(path);
  if (kind === 'eml') return 1;
  if (kind === 'maildir') return (await maildirFiles(path)).length;
  if (kind === 'folder') return (await emlFiles(path)).length;
  let count = 0;
  for await (const line of lines(path)) if (isFromLine(line)) count++;
  return count;
}

export async function* readMessages(path: string): AsyncGenerator<SourceMessage> {
  const kind = await kindOf(path);
  if (kind === 'eml') {
    yield { name: basename(path), raw: await readFile(path) };
  } else if (kind === 'maildir') {
    for (const file of await maildirFiles(path))
      yield { name: file.slice(path.length + 1), raw: await readFile(file) };
  } else if (kind === 'folder') {
    for (const file of await emlFiles(path))
      yield { name: file.slice(path.length + 1), raw: await readFile(file) };
  } else {
    yield* readMbox(path);
  }
}

async function maildirFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    const names = (await readdir(join(dir, sub))).filter((n) => !n.startsWith('.')).sort();
    files.push(...names.map((name) => join(dir, sub, name)));
  }
  return files;
}

async function emlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await emlFiles(path)));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.eml')) found.push(path);
  }
  return found;
}

function isFromLine(line: Buffer): boolean {
  return line.length >= 5 && line.toString('latin1', 0, 5) === 'From ';
}

/** The lines of a file as bytes (with their line ends), read in chunks: an mbox may be large. */
async function* lines(path: string): AsyncGenerator<Buffer> {
  let rest = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    let data = Buffer.concat([rest, chunk as Buffer]);
    let newline = data.indexOf(10);
    while (newline >= 0) {
      yield data.subarray(0, newline + 1);
      data = data.subarray(newline + 1);
      newline = data.indexOf(10);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) yield rest;
}

/**
 * mboxrd/mboxo: a message starts at a "From " line; ">From " (any number of
 * '>') inside a message is unescaped by one '>'. The separator's line and the
 * blank line before the next one are not part of the message.
 */
async function* readMbox(path: string): AsyncGenerator<SourceMessage> {
  let parts: Buffer[] | null = null;
  let n = 0;
  const finish = (message: Buffer[]): SourceMessage => {
    let raw = Buffer.concat(message);
    // The blank line mbox puts before the next "From ".
    if (raw.subarray(-2).toString() === '\n\n') raw = raw.subarray(0, -1);
    else if (raw.subarray(-4).toString() === '\r\n\r\n') raw = raw.subarray(0, -2);
    return { name: `${basename(path)}#${n}`, raw };
  };
  for await (const line of lines(path)) {
    if (isFromLine(line)) {
      if (parts) yield finish(parts);
      parts = [];
      n++;
      continue;
    }
    if (!parts) continue; // text before the first separator is not a message
    parts.push(
      /^>+From /.test(line.toString('latin1', 0, Math.min(line.length, 64)))
        ? line.subarray(1)
        : line,
    );
  }
  if (parts) yield finish(parts);
}
