// Spec tests that assert what the mongodb driver (7.8) sends or checks, where
// that driver differs from the spec; the server is not involved, so they are
// skipped (on every target) with the driver's behaviour as the reason.
const DRIVER_GAPS: Array<{ reason: string; covers: string[] }> = [
  {
    reason:
      'the mongodb driver replaces an inserted `_id: null` with a new ObjectId before sending it',
    covers: [
      'create-null-ids: inserting _id with type null via insertOne',
      'create-null-ids: inserting _id with type null via insertMany',
      'create-null-ids: inserting _id with type null via bulkWrite',
    ],
  },
  {
    reason: 'the mongodb driver omits `bypassDocumentValidation: false` from the command it sends',
    covers: [
      'bypassDocumentValidation: BulkWrite passes bypassDocumentValidation: false',
      'bypassDocumentValidation: FindOneAndReplace passes bypassDocumentValidation: false',
      'bypassDocumentValidation: FindOneAndUpdate passes bypassDocumentValidation: false',
      'bypassDocumentValidation: InsertMany passes bypassDocumentValidation: false',
      'bypassDocumentValidation: InsertOne passes bypassDocumentValidation: false',
      'bypassDocumentValidation: ReplaceOne passes bypassDocumentValidation: false',
      'bypassDocumentValidation: UpdateMany passes bypassDocumentValidation: false',
      'bypassDocumentValidation: UpdateOne passes bypassDocumentValidation: false',
    ],
  },
  {
    reason:
      "the mongodb driver's GridFS download does not notice a missing final chunk (it ends the stream early)",
    covers: ['download: download when final chunk is missing'],
  },
];

/** Why the driver cannot run this spec test as written, if it cannot. */
export function driverGap(file: string, description: string): string | undefined {
  const gap = DRIVER_GAPS.find((entry) => entry.covers.includes(`${file}: ${description}`));
  return gap && `driver behaviour, not the server's: ${gap.reason}`;
}
