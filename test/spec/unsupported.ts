// The one list of MongoDB features the embedded store deliberately does not
// offer, with why, which spec tests they account for, and the precise error the
// store must answer instead (a test listed here fails the run if the store
// answers it some other way, or if it starts to pass).
export interface UnsupportedFeature {
  feature: string;
  reason: string;
  /** `file` (a spec file name without .json) or `file: test description`. */
  covers: string[];
  /** The store's error message for it, which names the feature. */
  error: RegExp;
}

const UNSUPPORTED: UnsupportedFeature[] = [
  {
    feature: 'collations other than simple',
    reason:
      "locale-aware comparison needs ICU collation keys in every filter, sort and index; Postroom's queries compare codes, ids and dates only",
    covers: [
      'aggregate-collation',
      'bulkWrite-collation',
      'count-collation',
      'deleteMany-collation',
      'deleteOne-collation',
      'distinct-collation',
      'find-collation',
      'findOneAndDelete-collation',
      'findOneAndReplace-collation',
      'findOneAndUpdate-collation',
      'replaceOne-collation',
      'updateMany-collation',
      'updateOne-collation',
    ],
    error: /collation other than \{ locale: "simple" \} is not supported by the embedded store/,
  },
  {
    feature: 'the $out and $merge aggregation stages',
    reason:
      'writing aggregation output into collections (with $merge’s whenMatched/whenNotMatched modes) is a bulk-write engine of its own; nothing in Postroom aggregates into a collection',
    covers: [
      'aggregate-merge',
      'aggregate-merge-errorResponse',
      'aggregate-out',
      'aggregate-let: Aggregate to collection with let option',
      'bypassDocumentValidation: Aggregate with $out passes bypassDocumentValidation: false',
    ],
    error: /the \$(out|merge) aggregation stage is not supported by the embedded store/,
  },
  {
    feature: 'the $listLocalSessions aggregation stage',
    reason:
      'the store keeps no session registry (sessions carry no state on a standalone without transactions)',
    covers: ['db-aggregate', 'db-aggregate-rawdata'],
    error: /the \$listLocalSessions aggregation stage is not supported by the embedded store/,
  },
  {
    feature: 'fail points (configureFailPoint)',
    reason:
      "a test-only hook of mongod's enableTestCommands for injecting server errors; not part of the database",
    covers: [
      'bulkWrite-errorResponse',
      'deleteOne-errorResponse',
      'insertOne-errorResponse',
      'updateOne-errorResponse',
      'estimatedDocumentCount: estimatedDocumentCount errors correctly--command error',
      'estimatedDocumentCount: estimatedDocumentCount errors correctly--socket error',
    ],
    error: /no such command: 'configureFailPoint'/,
  },
  {
    feature: 'views (create with viewOn)',
    reason: 'a view is a stored pipeline re-run on every read; Postroom defines none',
    covers: ['estimatedDocumentCount: estimatedDocumentCount works correctly on views'],
    error: /create option 'viewOn' is not supported by the embedded store/,
  },
  {
    feature: 'collection schema validation (collMod validator)',
    reason:
      'documents are validated by the application (zod, mongoose schemas) before they reach the store',
    covers: [
      'findOneAndUpdate-errorResponse: findOneAndUpdate document validation errInfo is accessible',
    ],
    error: /no such command: 'collMod'/,
  },
];

/** The listed feature a spec test falls under, if any. */
export function unsupportedFeature(
  file: string,
  description: string,
): UnsupportedFeature | undefined {
  return UNSUPPORTED.find((entry) =>
    entry.covers.some((c) => c === file || c === `${file}: ${description}`),
  );
}
