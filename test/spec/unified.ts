// Runs one Unified Test Format test: initialData through an internal client,
// entities, operations with expectResult/expectError, expectEvents and outcome.
import assert from 'node:assert/strict';
import {
  GridFSBucket,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Document,
} from 'mongodb';
import { isDocument, match, matchExactly } from './match.ts';
import { ClientSideError, Entities, runOperation } from './operations.ts';

export interface SpecFile {
  description: string;
  schemaVersion: string;
  runOnRequirements?: Document[];
  createEntities?: Document[];
  initialData?: Document[];
  tests: SpecTest[];
}

export interface SpecTest {
  description: string;
  runOnRequirements?: Document[];
  skipReason?: string;
  operations: Document[];
  expectEvents?: Document[];
  outcome?: Document[];
}

/** Where the tests run; `dbName` gives each spec database its name on this server. */
export interface RunTarget {
  uri: string;
  internal: MongoClient;
  dbName(specName: string): string;
}

type ObservedEvent =
  | { type: 'commandStartedEvent'; event: CommandStartedEvent }
  | { type: 'commandSucceededEvent'; event: CommandSucceededEvent }
  | { type: 'commandFailedEvent'; event: CommandFailedEvent };

const SENSITIVE = new Set([
  'authenticate',
  'saslStart',
  'saslContinue',
  'getnonce',
  'createUser',
  'updateUser',
  'copydbgetnonce',
  'copydbsaslstart',
  'copydb',
  'hello',
  'ismaster',
  'isMaster',
]);

/** Every server error an operation raised, for the unsupported-feature check. */
export interface RunRecord {
  serverErrors: MongoServerError[];
}

async function setUpData(target: RunTarget, data: Document[] | undefined): Promise<void> {
  for (const entry of data ?? []) {
    const db = target.internal.db(target.dbName(entry.databaseName as string));
    const name = entry.collectionName as string;
    await db.dropCollection(name, { writeConcern: { w: 'majority' } }).catch(() => false);
    const documents = entry.documents as Document[];
    if (entry.createOptions || documents.length === 0) {
      await db.createCollection(name, {
        ...(entry.createOptions as Document),
        writeConcern: { w: 'majority' },
      });
    }
    if (documents.length > 0)
      await db.collection(name).insertMany(documents, { writeConcern: { w: 'majority' } });
  }
}

function createEntities(
  target: RunTarget,
  specs: Document[] | undefined,
  entities: Entities,
  events: Map<string, ObservedEvent[]>,
): void {
  for (const spec of specs ?? []) {
    const [kind, body] = Object.entries(spec)[0] as [string, Document];
    const id = body.id as string;
    switch (kind) {
      case 'client': {
        const uriOptions = (body.uriOptions ?? {}) as Document;
        const client = new MongoClient(target.uri, {
          ...uriOptions,
          monitorCommands: true,
          serverSelectionTimeoutMS: 5000,
        });
        const observed: ObservedEvent[] = [];
        events.set(id, observed);
        const wanted = new Set((body.observeEvents ?? []) as string[]);
        const ignored = new Set([
          'configureFailPoint',
          ...((body.ignoreCommandMonitoringEvents ?? []) as string[]),
        ]);
        const keep = (name: string) =>
          !ignored.has(name) && (body.observeSensitiveCommands === true || !SENSITIVE.has(name));
        client.on('commandStarted', (event) => {
          if (wanted.has('commandStartedEvent') && keep(event.commandName))
            observed.push({ type: 'commandStartedEvent', event });
        });
        client.on('commandSucceeded', (event) => {
          if (wanted.has('commandSucceededEvent') && keep(event.commandName))
            observed.push({ type: 'commandSucceededEvent', event });
        });
        client.on('commandFailed', (event) => {
          if (wanted.has('commandFailedEvent') && keep(event.commandName))
            observed.push({ type: 'commandFailedEvent', event });
        });
        entities.set(id, client);
        break;
      }
      case 'database': {
        const client = entities.get(body.client as string) as MongoClient;
        entities.set(
          id,
          client.db(
            target.dbName(body.databaseName as string),
            (body.databaseOptions ?? {}) as Document,
          ),
        );
        break;
      }
      case 'collection': {
        const db = entities.get(body.database as string) as ReturnType<MongoClient['db']>;
        entities.set(
          id,
          db.collection(body.collectionName as string, (body.collectionOptions ?? {}) as Document),
        );
        break;
      }
      case 'bucket': {
        const db = entities.get(body.database as string) as ReturnType<MongoClient['db']>;
        entities.set(id, new GridFSBucket(db, (body.bucketOptions ?? {}) as Document));
        break;
      }
      case 'session': {
        const client = entities.get(body.client as string) as MongoClient;
        entities.set(id, client.startSession((body.sessionOptions ?? {}) as Document));
        break;
      }
      default:
        throw new Error(`entity type ${kind} is not implemented by the spec runner`);
    }
  }
}

function errorResult(error: unknown): Document | undefined {
  if (error instanceof MongoBulkWriteError) {
    const r = error.result;
    return {
      deletedCount: r.deletedCount,
      insertedCount: r.insertedCount,
      insertedIds: r.insertedIds,
      matchedCount: r.matchedCount,
      modifiedCount: r.modifiedCount,
      upsertedCount: r.upsertedCount,
      upsertedIds: r.upsertedIds,
    };
  }
  return undefined;
}

function checkError(expected: Document, error: unknown, entities: Entities): void {
  const serverError = error instanceof MongoServerError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (expected.isClientError !== undefined) {
    const isClient = serverError === undefined || error instanceof ClientSideError;
    assert.equal(
      isClient,
      expected.isClientError,
      `expected a ${expected.isClientError ? 'client' : 'server'} error, got ${message}`,
    );
  }
  if (typeof expected.errorContains === 'string') {
    assert.ok(
      message.toLowerCase().includes(expected.errorContains.toLowerCase()),
      `error "${message}" lacks "${expected.errorContains}"`,
    );
  }
  if (expected.errorCode !== undefined) {
    assert.ok(
      serverError,
      `expected server error code ${String(expected.errorCode)}, got ${message}`,
    );
    assert.equal(serverError.code, expected.errorCode, `error code of "${message}"`);
  }
  if (typeof expected.errorCodeName === 'string') {
    assert.ok(serverError, `expected server error ${expected.errorCodeName}, got ${message}`);
    assert.equal(
      String(serverError.codeName).toLowerCase(),
      expected.errorCodeName.toLowerCase(),
      `code name of "${message}"`,
    );
  }
  if (Array.isArray(expected.errorLabelsContain)) {
    for (const label of expected.errorLabelsContain as string[])
      assert.ok(serverError?.hasErrorLabel(label), `error lacks label ${label}`);
  }
  if (Array.isArray(expected.errorLabelsOmit)) {
    for (const label of expected.errorLabelsOmit as string[])
      assert.ok(!serverError?.hasErrorLabel(label), `error has label ${label}`);
  }
  if (expected.errorResponse !== undefined) {
    assert.ok(serverError, `expected a server response, got ${message}`);
    match(expected.errorResponse, serverError.errorResponse, entities);
  }
  if (expected.expectResult !== undefined)
    match(expected.expectResult, errorResult(error), entities);
}

async function runOperations(
  operations: Document[],
  entities: Entities,
  record: RunRecord,
): Promise<void> {
  for (const [index, op] of operations.entries()) {
    const label = `operation ${index} (${String(op.name)} on ${String(op.object)})`;
    let result: Awaited<ReturnType<typeof runOperation>> | undefined;
    let failure: unknown;
    try {
      result = await runOperation(op, entities);
    } catch (error) {
      failure = error;
      if (error instanceof MongoServerError) record.serverErrors.push(error);
    }
    if (op.expectError !== undefined) {
      assert.ok(
        failure !== undefined,
        `${label}: expected an error, got ${JSON.stringify(result?.value)}`,
      );
      try {
        checkError(op.expectError as Document, failure, entities);
      } catch (error) {
        throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
      }
      continue;
    }
    if (failure !== undefined)
      throw new Error(`${label} failed: ${(failure as Error).message}`, { cause: failure });
    const value = result?.value;
    if (op.expectResult !== undefined) {
      try {
        if (result?.cursorLike && Array.isArray(op.expectResult)) {
          assert.ok(Array.isArray(value), 'expected a list of documents');
          assert.equal(
            value.length,
            op.expectResult.length,
            `expected ${op.expectResult.length} documents, got ${JSON.stringify(value)}`,
          );
          op.expectResult.forEach((doc: unknown, i: number) =>
            match(doc, value[i], entities, `$[${i}]`, true),
          );
        } else {
          match(op.expectResult, value, entities, '$', isDocument(value));
        }
      } catch (error) {
        throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (typeof op.saveResultAsEntity === 'string') entities.set(op.saveResultAsEntity, value);
  }
}

function eventDetails(observed: ObservedEvent): Document {
  const { event } = observed;
  const details: Document = { commandName: event.commandName, databaseName: event.databaseName };
  if (observed.type === 'commandStartedEvent') details.command = observed.event.command;
  if (observed.type === 'commandSucceededEvent') details.reply = observed.event.reply;
  return details;
}

function checkEvents(
  expected: Document[],
  events: Map<string, ObservedEvent[]>,
  entities: Entities,
  target: RunTarget,
): void {
  for (const forClient of expected) {
    if (forClient.eventType !== undefined && forClient.eventType !== 'command') continue;
    const observed = events.get(forClient.client as string) ?? [];
    const wanted = forClient.events as Document[];
    const summary = observed.map((o) => `${o.type}:${o.event.commandName}`).join(', ');
    if (forClient.ignoreExtraEvents === true)
      assert.ok(observed.length >= wanted.length, `events: ${summary}`);
    else
      assert.equal(
        observed.length,
        wanted.length,
        `expected ${wanted.length} events, observed ${summary}`,
      );
    wanted.forEach((entry, i) => {
      const [type, body] = Object.entries(entry)[0] as [string, Document];
      const actual = observed[i] as ObservedEvent;
      assert.equal(actual.type, type, `event ${i}: expected ${type}, observed ${summary}`);
      const { hasServiceId: _s, hasServerConnectionId: _c, ...rest } = body;
      if (typeof rest.databaseName === 'string')
        rest.databaseName = target.dbName(rest.databaseName);
      const details = eventDetails(actual);
      // `command` and `reply` are root-level documents: extra fields such as lsid are allowed.
      for (const [key, value] of Object.entries(rest))
        match(
          value,
          details[key],
          entities,
          `event ${i} (${type}).${key}`,
          key === 'command' || key === 'reply',
        );
    });
  }
}

async function checkOutcome(target: RunTarget, outcome: Document[]): Promise<void> {
  for (const entry of outcome) {
    const docs = await target.internal
      .db(target.dbName(entry.databaseName as string))
      .collection(entry.collectionName as string)
      .find({}, { sort: { _id: 1 }, readConcern: { level: 'local' } })
      .toArray();
    matchExactly(entry.documents, docs, `outcome ${entry.collectionName as string}`);
  }
}

/** Runs one test of a file; throws on the first failed assertion. */
export async function runSpecTest(
  target: RunTarget,
  file: SpecFile,
  test: SpecTest,
  record: RunRecord,
): Promise<void> {
  await setUpData(target, file.initialData);
  const entities = new Entities();
  const events = new Map<string, ObservedEvent[]>();
  try {
    createEntities(target, file.createEntities, entities, events);
    await runOperations(test.operations, entities, record);
    if (test.expectEvents) checkEvents(test.expectEvents, events, entities, target);
    if (test.outcome) await checkOutcome(target, test.outcome);
  } finally {
    for (const entity of entities.values()) if (entity instanceof MongoClient) await entity.close();
  }
}
