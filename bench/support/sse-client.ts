// A Server-Sent Events reader that stamps each frame with the moment the bytes
// ending it were read off the socket (same clock as the model test server's
// token stamps), for latency measurements.
import { now } from './stats.ts';

export interface TimedFrame {
  event: string | undefined;
  data: unknown;
  retry: number | undefined;
  /** Epoch ms, sub-millisecond (performance.timeOrigin + performance.now()). */
  at: number;
}

export class TimedSseClient {
  readonly frames: TimedFrame[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly response: Response,
    private readonly controller: AbortController,
  ) {
    void this.pump();
  }

  static async open(url: string, apiKey: string): Promise<TimedSseClient> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (response.status !== 200) {
      controller.abort();
      throw new Error(`GET ${url}: ${response.status}`);
    }
    return new TimedSseClient(response, controller);
  }

  /** Resolves with the first frame (past or future) that matches, or rejects after timeoutMs. */
  waitFor(match: (frame: TimedFrame) => boolean, what: string, timeoutMs = 30_000) {
    return new Promise<TimedFrame>((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      if (!check()) this.listeners.add(listener);
    });
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(): Promise<void> {
    const reader = this.response.body?.getReader();
    if (!reader) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const at = now();
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        let added = false;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = parseFrame(buffer.slice(0, end), at);
          buffer = buffer.slice(end + 2);
          if (frame) {
            this.frames.push(frame);
            added = true;
          }
        }
        if (added) for (const listener of [...this.listeners]) listener();
      }
    } catch {
      // Aborted by close(), or the server went away.
    }
  }
}

/** A frame with an event or a retry hint; comments (heartbeats) are dropped. */
function parseFrame(block: string, at: number): TimedFrame | null {
  let event: string | undefined;
  let retry: number | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
  }
  if (event === undefined && retry === undefined) return null;
  return {
    event,
    data: data.length > 0 ? (JSON.parse(data.join('\n')) as unknown) : undefined,
    retry,
    at,
  };
}
