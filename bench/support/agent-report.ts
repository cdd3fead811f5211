// The report of bench/agent: token latency against the baseline, MongoDB
// writes per draft (told apart by what they do to the draft), and how the
// drafts were scheduled.
import type { BareStream } from './bare-openai.ts';
import { countByCollection, type RecordedWrite } from './mongo-writes.ts';
import type { DraftMeasurement } from './postroom-drafts.ts';
import { fixed, ratio, summarize, table } from './stats.ts';

interface DraftWrites {
  create: number;
  bodySaves: number;
  complete: number;
  supersede: number;
  other: number;
}

/** The chat_messages writes that target the drafts themselves (not the notes that woke them). */
function draftWrites(writes: readonly RecordedWrite[], drafts: DraftMeasurement[]): DraftWrites {
  const draftIds = new Set(drafts.map((d) => d.draftId));
  const conversations = new Set(drafts.map((d) => d.conversationId));
  const counts: DraftWrites = { create: 0, bodySaves: 0, complete: 0, supersede: 0, other: 0 };
  for (const write of writes) {
    if (write.collection !== 'chat_messages') continue;
    const id = write.target._id;
    if (typeof id === 'string' && draftIds.has(id)) {
      if (write.method === 'insertOne') counts.create += 1;
      else if (write.method === 'findOneAndUpdate') counts.complete += 1;
      else if (isBodySave(write.update)) counts.bodySaves += 1;
      else counts.other += 1;
    } else if (
      write.method === 'updateMany' &&
      conversations.has(String(write.target.conversation_id)) &&
      write.target.status === 'draft'
    ) {
      counts.supersede += 1;
    }
  }
  return counts;
}

function isBodySave(update: Record<string, unknown>): boolean {
  const set = update.$set as Record<string, unknown> | undefined;
  return (
    !!set && 'body' in set && Object.keys(set).every((k) => k === 'body' || k === 'updated_at')
  );
}

export function streamInterval(sent: ReadonlyArray<{ at: number }>): [number, number] {
  return [sent[0]?.at ?? 0, sent.at(-1)?.at ?? 0];
}

export function peakOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([start, end]): Array<[number, number]> => [
    [start, 1],
    [end, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, step] of edges) peak = Math.max(peak, (open += step));
  return peak;
}

export interface Phase {
  label: string;
  drafts: DraftMeasurement[];
  /** Most drafts streaming at once (the model server's first → last token of each). */
  peak: number;
  /** The baseline: as many bare streams, at most `peak` at a time. */
  bare: BareStream[];
  /** For the concurrent phase: every bare stream at once, whatever Postroom's peak. */
  bareAllAtOnce?: BareStream[];
  writes: RecordedWrite[];
  /** MongoDB operations of any kind during the phase. */
  operations: number;
  wallMs: number;
}

function latencyRow(label: string, streams: number, latencies: number[]): string[] {
  const s = summarize(latencies);
  return [label, String(streams), String(s.count), fixed(s.p50), fixed(s.p95), fixed(s.max)];
}

function latencyRows(phase: Phase): string[][] {
  const ours = phase.drafts.flatMap((d) => d.latencies);
  const base = phase.bare.flatMap((b) => b.latencies);
  const [o, b] = [summarize(ours), summarize(base)];
  const rows = [
    latencyRow(`${phase.label}: Postroom (model → SSE)`, phase.drafts.length, ours),
    latencyRow(`${phase.label}: bare openai, ${phase.peak} at a time`, phase.bare.length, base),
    [
      `${phase.label}: ratio Postroom / bare`,
      '',
      '',
      ratio(o.p50, b.p50),
      ratio(o.p95, b.p95),
      ratio(o.max, b.max),
    ],
  ];
  if (phase.bareAllAtOnce) {
    const all = phase.bareAllAtOnce;
    rows.push(
      latencyRow(
        `${phase.label}: bare openai, ${all.length} at once`,
        all.length,
        all.flatMap((x) => x.latencies),
      ),
    );
  }
  return rows;
}

export function report(
  phases: Phase[],
  settings: { tokens: number; delayMs: number; mongoLabel: string },
): void {
  console.log(
    `\nbench/agent: ${settings.tokens} tokens per draft, ${settings.delayMs} ms apart; MongoDB: ${settings.mongoLabel}\n`,
  );
  console.log('Token latency: the model server wrote the token → the client read it (ms)\n');
  console.log(
    table([
      ['', 'streams', 'tokens', 'p50 ms', 'p95 ms', 'max ms'],
      ...phases.flatMap(latencyRows),
    ]),
  );

  console.log('\nMongoDB writes per draft (chat_messages writes aimed at the draft)\n');
  const rows: string[][] = [
    ['', 'drafts', 'writes', 'create', 'body saves', 'complete', 'supersede', 'stream ms'],
  ];
  for (const phase of phases) {
    const n = phase.drafts.length;
    const w = draftWrites(phase.writes, phase.drafts);
    const total = w.create + w.bodySaves + w.complete + w.supersede + w.other;
    const streamMs = phase.drafts.reduce((sum, d) => sum + d.streamMs, 0) / n;
    rows.push([
      phase.label,
      String(n),
      fixed(total / n),
      fixed(w.create / n),
      fixed(w.bodySaves / n),
      fixed(w.complete / n),
      fixed(w.supersede / n),
      fixed(streamMs, 0),
    ]);
  }
  console.log(table(rows));
  for (const phase of phases) {
    const n = phase.drafts.length;
    const byCollection = [...countByCollection(phase.writes)]
      .map(([name, count]) => `${name} ${fixed(count / n)}`)
      .join(', ');
    console.log(
      `  ${phase.label}: ${fixed(phase.writes.length / n)} writes per draft over all collections, the waking note included (${byCollection}); ${fixed(phase.operations / n)} operations with reads`,
    );
  }
  console.log(
    `  (${settings.tokens} tokens per draft: one write per token would be ${settings.tokens})`,
  );

  console.log('\nDrafts\n');
  const draftRows: string[][] = [
    [
      '',
      'wall ms',
      'note → 1st delta p50',
      'p95',
      'max',
      '1st token latency p50',
      'max',
      'streams at once (peak)',
      'mismatches',
    ],
  ];
  for (const phase of phases) {
    const first = summarize(phase.drafts.map((d) => d.firstDeltaMs));
    const firstToken = summarize(phase.drafts.map((d) => d.latencies[0] ?? Number.NaN));
    draftRows.push([
      phase.label,
      fixed(phase.wallMs, 0),
      fixed(first.p50, 1),
      fixed(first.p95, 1),
      fixed(first.max, 1),
      fixed(firstToken.p50, 1),
      fixed(firstToken.max, 1),
      String(phase.peak),
      String(phase.drafts.reduce((sum, d) => sum + d.mismatches, 0)),
    ]);
  }
  console.log(table(draftRows));
  console.log(
    "  note → 1st delta: the note was posted → its draft's first delta reached the client (queueing included);",
  );
  console.log(
    '  1st token latency: as the token latency above, for the first token only (the draft is created on it);',
  );
  console.log(
    '  mismatches: deltas whose text or offset differ from the token at the same position (should be 0)',
  );
}
