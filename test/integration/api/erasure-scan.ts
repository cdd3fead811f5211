// Looks for text everywhere a test's Postroom keeps data: every document of
// every collection of its database (as EJSON, with binary values such as
// GridFS chunks decoded), and every Redis key under its queue prefix (strings,
// hashes, lists, sets, sorted sets, streams). Base64 runs are decoded too:
// BullMQ jobs carry small raw mail inline as base64.
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { testRedisUrl } from '../../support/env.ts';

// The driver's own BSON (bson is not a dependency of its own since the embedded
// store shares the driver's).
const { EJSON } = mongoose.mongo.BSON;

export interface Finding {
  where: string;
  needle: string;
}

const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/** The text plus what its base64 runs decode to (mail, MIME parts). */
function withDecoded(text: string): string {
  const decoded: string[] = [text];
  for (const run of text.match(BASE64_RUN) ?? []) {
    decoded.push(Buffer.from(run, 'base64').toString('latin1'));
  }
  return decoded.join('\n');
}

function binaryText(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  if (bsonType === 'Binary') {
    const bytes = (value as { buffer: Uint8Array }).buffer;
    out.push(Buffer.from(bytes).toString('latin1'));
    return;
  }
  if (bsonType) return;
  for (const child of Array.isArray(value) ? value : Object.values(value)) binaryText(child, out);
}

function find(where: string, text: string, needles: readonly string[]): Finding[] {
  const haystack = withDecoded(text).toLowerCase();
  return needles
    .filter((needle) => haystack.includes(needle.toLowerCase()))
    .map((needle) => ({ where, needle }));
}

export async function scanDatabase(uri: string, needles: readonly string[]): Promise<Finding[]> {
  const connection = await mongoose.createConnection(uri).asPromise();
  try {
    const db = connection.db;
    if (!db) throw new Error('no database handle');
    const findings: Finding[] = [];
    for (const { name } of await db.listCollections().toArray()) {
      for (const doc of await db.collection(name).find({}).toArray()) {
        const texts = [EJSON.stringify(doc)];
        binaryText(doc, texts);
        findings.push(...find(`${name}/${String(doc._id)}`, texts.join('\n'), needles));
      }
    }
    return findings;
  } finally {
    await connection.close();
  }
}

async function valueOf(redis: Redis, key: string): Promise<string> {
  switch (await redis.type(key)) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, 0, -1));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}

export async function scanRedis(prefix: string, needles: readonly string[]): Promise<Finding[]> {
  const redis = new Redis(testRedisUrl());
  try {
    const findings: Finding[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys)
        findings.push(...find(`redis ${key}`, await valueOf(redis, key), needles));
    } while (cursor !== '0');
    return findings;
  } finally {
    redis.disconnect();
  }
}
