// Spec operations (the CRUD, GridFS and index-management specs' API names)
// carried out with the real mongodb driver, and their results in the shapes
// the spec files expect.
import {
  GridFSBucket,
  MongoClient,
  MongoError,
  type BulkWriteResult,
  type Collection,
  type Db,
  type Document,
  type ObjectId,
} from 'mongodb';

/** The entity map of one test. */
export class Entities {
  private readonly map = new Map<string, unknown>();

  set(name: string, value: unknown): void {
    if (this.map.has(name)) throw new Error(`entity ${name} defined twice`);
    this.map.set(name, value);
  }

  get(name: string): unknown {
    if (!this.map.has(name)) throw new Error(`no entity named ${name}`);
    return this.map.get(name);
  }

  values(): unknown[] {
    return [...this.map.values()];
  }
}

/** A failure the runner raises on the client side of the driver for a driver-missing API. */
export class ClientSideError extends MongoError {}

type OperationResult = { value: unknown; cursorLike: boolean };

function bulkWriteResult(result: BulkWriteResult): Document {
  return {
    deletedCount: result.deletedCount,
    insertedCount: result.insertedCount,
    insertedIds: result.insertedIds,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    upsertedCount: result.upsertedCount,
    upsertedIds: result.upsertedIds,
  };
}

/** Spec arguments turned into driver options: entity names resolved, spellings mapped. */
function options(args: Document, entities: Entities, omit: string[]): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(args)) {
    if (omit.includes(key)) continue;
    if (key === 'session') out.session = entities.get(value as string);
    else if (key === 'returnDocument') out.returnDocument = String(value).toLowerCase();
    else out[key] = value;
  }
  return out;
}

function toWriteModel(request: Document): Document {
  const [name, body] = Object.entries(request)[0] as [string, Document];
  return { [name]: body };
}

async function collectionOperation(
  coll: Collection,
  name: string,
  args: Document,
  entities: Entities,
): Promise<OperationResult> {
  const opts = (...omit: string[]) => options(args, entities, omit);
  const plain = (value: unknown): OperationResult => ({ value, cursorLike: false });
  switch (name) {
    case 'aggregate':
      return {
        value: await coll.aggregate(args.pipeline as Document[], opts('pipeline')).toArray(),
        cursorLike: true,
      };
    case 'find':
      return {
        value: await coll.find(args.filter as Document, opts('filter')).toArray(),
        cursorLike: true,
      };
    case 'findOne':
      return plain(await coll.findOne(args.filter as Document, opts('filter')));
    case 'countDocuments':
      return plain(await coll.countDocuments(args.filter as Document, opts('filter')));
    case 'count':
      return plain(await coll.count(args.filter as Document, opts('filter')));
    case 'estimatedDocumentCount':
      return plain(await coll.estimatedDocumentCount(opts()));
    case 'distinct':
      return plain(
        await coll.distinct(
          args.fieldName as string,
          args.filter as Document,
          opts('fieldName', 'filter'),
        ),
      );
    case 'insertOne': {
      const r = await coll.insertOne(args.document as Document, opts('document'));
      return plain(r.acknowledged ? { insertedId: r.insertedId } : { acknowledged: false });
    }
    case 'insertMany': {
      const r = await coll.insertMany(args.documents as Document[], opts('documents'));
      return plain(r.acknowledged ? { insertedIds: r.insertedIds } : { acknowledged: false });
    }
    case 'deleteOne':
    case 'deleteMany': {
      const run = name === 'deleteOne' ? coll.deleteOne.bind(coll) : coll.deleteMany.bind(coll);
      const r = await run(args.filter as Document, opts('filter'));
      return plain(r.acknowledged ? { deletedCount: r.deletedCount } : { acknowledged: false });
    }
    case 'updateOne':
    case 'updateMany':
    case 'replaceOne': {
      const r =
        name === 'replaceOne'
          ? await coll.replaceOne(
              args.filter as Document,
              args.replacement as Document,
              opts('filter', 'replacement'),
            )
          : name === 'updateOne'
            ? await coll.updateOne(
                args.filter as Document,
                args.update as Document,
                opts('filter', 'update'),
              )
            : await coll.updateMany(
                args.filter as Document,
                args.update as Document,
                opts('filter', 'update'),
              );
      if (!r.acknowledged) return plain({ acknowledged: false });
      return plain({
        matchedCount: r.matchedCount,
        modifiedCount: r.modifiedCount,
        upsertedCount: r.upsertedCount,
        ...(r.upsertedId === null ? {} : { upsertedId: r.upsertedId }),
      });
    }
    case 'findOneAndDelete':
      return plain(await coll.findOneAndDelete(args.filter as Document, opts('filter')));
    case 'findOneAndReplace':
      return plain(
        await coll.findOneAndReplace(
          args.filter as Document,
          args.replacement as Document,
          opts('filter', 'replacement'),
        ),
      );
    case 'findOneAndUpdate':
      return plain(
        await coll.findOneAndUpdate(
          args.filter as Document,
          args.update as Document,
          opts('filter', 'update'),
        ),
      );
    case 'bulkWrite': {
      const requests = (args.requests as Document[]).map(toWriteModel);
      const r = await coll.bulkWrite(requests as never, opts('requests'));
      return plain(bulkWriteResult(r));
    }
    case 'createIndex':
      return plain(await coll.createIndex(args.keys as Document, opts('keys')));
    case 'dropIndex':
      return plain(await coll.dropIndex(args.name as string, opts('name')));
    case 'listIndexes':
      return { value: await coll.listIndexes(opts()).toArray(), cursorLike: true };
    case 'createSearchIndex':
      return plain(await coll.createSearchIndex(args.model as never));
    case 'createSearchIndexes':
      return plain(await coll.createSearchIndexes(args.models as never));
    case 'dropSearchIndex':
      return plain(await coll.dropSearchIndex(args.name as string));
    case 'updateSearchIndex':
      return plain(await coll.updateSearchIndex(args.name as string, args.definition as Document));
    case 'listSearchIndexes':
      return { value: await coll.listSearchIndexes(opts()).toArray(), cursorLike: true };
    default:
      throw new Error(`collection operation ${name} is not implemented by the spec runner`);
  }
}

async function databaseOperation(
  db: Db,
  name: string,
  args: Document,
  entities: Entities,
): Promise<OperationResult> {
  const opts = (...omit: string[]) => options(args, entities, omit);
  switch (name) {
    case 'aggregate':
      return {
        value: await db.aggregate(args.pipeline as Document[], opts('pipeline')).toArray(),
        cursorLike: true,
      };
    case 'createCollection':
      await db.createCollection(args.collection as string, opts('collection'));
      return { value: undefined, cursorLike: false };
    case 'dropCollection':
      return {
        value: await db.dropCollection(args.collection as string, opts('collection')),
        cursorLike: false,
      };
    case 'modifyCollection': {
      const { collection, ...rest } = opts();
      return { value: await db.command({ collMod: collection, ...rest }), cursorLike: false };
    }
    case 'runCommand':
      return {
        value: await db.command(args.command as Document, opts('command', 'commandName')),
        cursorLike: false,
      };
    default:
      throw new Error(`database operation ${name} is not implemented by the spec runner`);
  }
}

function hexBytes(value: unknown): Buffer {
  const hex = (value as { $$hexBytes?: string }).$$hexBytes;
  if (typeof hex !== 'string') throw new Error('GridFS upload source must be {$$hexBytes}');
  return Buffer.from(hex, 'hex');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('hex');
}

/** The files a GridFS name names (the driver has no *ByName deletes or renames). */
async function filesNamed(bucket: GridFSBucket, filename: string): Promise<ObjectId[]> {
  const files = await bucket.find({ filename }).toArray();
  if (files.length === 0) throw new ClientSideError(`FileNotFound: no file named ${filename}`);
  return files.map((file) => file._id);
}

async function bucketOperation(
  bucket: GridFSBucket,
  name: string,
  args: Document,
): Promise<OperationResult> {
  const plain = (value: unknown): OperationResult => ({ value, cursorLike: false });
  switch (name) {
    case 'delete':
      await bucket.delete(args.id as ObjectId);
      return plain(undefined);
    case 'deleteByName':
      for (const id of await filesNamed(bucket, args.filename as string)) await bucket.delete(id);
      return plain(undefined);
    case 'rename':
      await bucket.rename(args.id as ObjectId, args.newFilename as string);
      return plain(undefined);
    case 'renameByName':
      for (const id of await filesNamed(bucket, args.filename as string))
        await bucket.rename(id, args.newFilename as string);
      return plain(undefined);
    case 'download':
      return plain(await readAll(bucket.openDownloadStream(args.id as ObjectId)));
    case 'downloadByName': {
      const { filename, ...rest } = args;
      return plain(await readAll(bucket.openDownloadStreamByName(filename as string, rest)));
    }
    case 'upload': {
      const { filename, source, ...rest } = args;
      const upload = bucket.openUploadStream(filename as string, rest);
      await new Promise<void>((resolve, reject) => {
        upload.once('error', reject);
        upload.once('finish', () => resolve());
        upload.end(hexBytes(source));
      });
      return plain(upload.id);
    }
    default:
      throw new Error(`bucket operation ${name} is not implemented by the spec runner`);
  }
}

/** Runs one spec operation against its `object` entity. */
export async function runOperation(op: Document, entities: Entities): Promise<OperationResult> {
  const args = (op.arguments ?? {}) as Document;
  const name = op.name as string;
  if (op.object === 'testRunner') {
    if (name === 'failPoint') {
      const client = entities.get(args.client as string) as MongoClient;
      await client.db('admin').command(args.failPoint as Document);
      return { value: undefined, cursorLike: false };
    }
    throw new Error(`test runner operation ${name} is not implemented by the spec runner`);
  }
  const target = entities.get(op.object as string);
  if (target instanceof GridFSBucket) return bucketOperation(target, name, args);
  if (target instanceof MongoClient) {
    if (name === 'clientBulkWrite') {
      const models = (args.models as Document[]).map((m) => {
        const [kind, body] = Object.entries(m)[0] as [string, Document];
        return { name: kind, ...body };
      });
      return {
        value: await target.bulkWrite(models as never, options(args, entities, ['models'])),
        cursorLike: false,
      };
    }
    throw new Error(`client operation ${name} is not implemented by the spec runner`);
  }
  if (target && typeof target === 'object' && 'collectionName' in target) {
    return collectionOperation(target as Collection, name, args, entities);
  }
  if (target && typeof target === 'object' && 'databaseName' in target) {
    return databaseOperation(target as Db, name, args, entities);
  }
  throw new Error(`entity ${String(op.object)} cannot run ${name}`);
}
