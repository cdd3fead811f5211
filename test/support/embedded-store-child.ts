// A process hosting a durable embedded store, for tests that kill it: it opens
// the data directory given as argv[2] and prints `ready <uri>`; with `write`
// as argv[3] it then inserts documents through the real driver forever,
// printing `ack <n>` only once each insert has been acknowledged.
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../src/embedded-mongo/index.ts';

const [dataDir, mode = 'hold'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: embedded-store-child.ts <dataDir> [hold|write]');
const mongo = await startEmbeddedMongo({ dataDir });
process.stdout.write(`ready ${mongo.uri}\n`);
if (mode === 'write') {
  const client = await MongoClient.connect(`${mongo.uri}crash`);
  const docs = client.db().collection<{ _id: number; payload: string }>('acked');
  const counters = client.db().collection<{ _id: string; n: number }>('counters');
  // Carry on after what an earlier (killed) writer left in the directory.
  const last = await docs.find().sort({ _id: -1 }).limit(1).next();
  let next = last ? last._id + 1 : 0;
  for (let n = 0; ; n++) {
    // Alternate single inserts, a two-document batch and a counter, so every
    // command shape the store journals is in flight when the kill lands.
    if (n % 3 === 2) {
      const ids = [next++, next++];
      await docs.insertMany(ids.map((_id) => ({ _id, payload: 'x'.repeat(200) })));
      process.stdout.write(ids.map((id) => `ack ${id}\n`).join(''));
    } else {
      const _id = next++;
      await docs.insertOne({ _id, payload: 'z'.repeat(200) });
      process.stdout.write(`ack ${_id}\n`);
    }
    await counters.updateOne({ _id: 'writes' }, { $inc: { n: 1 } }, { upsert: true });
  }
}
