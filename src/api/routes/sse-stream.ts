// One Server-Sent Events response. Frames are produced by steps that run one
// after another, so a slow step (loading a message) is never overtaken by a
// later fast one (a delta): the client sees the conversation's order.
import type { ServerResponse } from 'node:http';

export interface SseFrame {
  /** Omitted: the client keeps the last id it had (for Last-Event-ID). */
  id?: string;
  event: string;
  data: unknown;
}

/** A step's output: frames to write, none, or the text of several. */
export type StepResult = SseFrame | SseFrame[] | null;

export interface SseStreamOptions {
  heartbeatMs: number;
  /** Reconnect delay the client is told to use. */
  retryMs: number;
  /** A client this far behind is dropped; it reconnects and catches up. */
  maxBufferedBytes: number;
  /** A step failed: the stream is ended (the client reconnects and catches up). */
  onError(error: unknown): void;
}

export class SseStream {
  private chain: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly closeHandlers: Array<() => void> = [];
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseStreamOptions,
  ) {
    // 'close' on the response: the client went away or we ended it.
    res.on('close', () => this.finish());
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Status, headers and the retry hint, flushed at once so the client knows it is connected. */
  open(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx buffers proxied responses by default, which would hold events back.
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
    this.write(`retry: ${this.options.retryMs}\n\n`);
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), this.options.heartbeatMs);
  }

  /** Queue a step; its frames are written after those of every earlier step. */
  enqueue(step: () => Promise<StepResult>): void {
    if (this.ended) return;
    this.chain = this.chain.then(async () => {
      if (this.ended) return;
      try {
        const result = await step();
        const frames = result === null ? [] : Array.isArray(result) ? result : [result];
        this.write(frames.map(formatFrame).join(''));
      } catch (error) {
        this.options.onError(error);
        this.close();
      }
    });
  }

  onClose(handler: () => void): void {
    if (this.ended) handler();
    else this.closeHandlers.push(handler);
  }

  /**
   * End the stream from our side (shutdown, a client too far behind, a failed
   * step). The socket goes too: left as an idle keep-alive socket, it would
   * hold server.close() until the keep-alive timeout.
   */
  close(): void {
    if (!this.res.writableEnded) this.res.end(() => this.res.socket?.destroy());
    this.finish();
  }

  private write(text: string): void {
    if (this.ended || text === '') return;
    this.res.write(text);
    // Memory is bounded per client: one that does not read is let go.
    if (this.res.writableLength > this.options.maxBufferedBytes) this.close();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}

/** `id:`/`event:`/`data:` lines; JSON never holds a raw line break, so one data line. */
function formatFrame(frame: SseFrame): string {
  const id = frame.id === undefined ? '' : `id: ${frame.id}\n`;
  return `${id}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;
}
