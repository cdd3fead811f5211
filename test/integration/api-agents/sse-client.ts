// A minimal Server-Sent Events client over fetch for the tests: it reads the
// stream in the background, parses frames (comments and retry included) and
// lets a test wait for the next frame it expects.
import { waitUntil } from '../../support/wait.ts';

export interface SseFrame {
  id?: string;
  event?: string;
  /** Parsed JSON of the data lines. */
  data?: unknown;
  comment?: string;
  retry?: number;
}

export class SseClient {
  readonly frames: SseFrame[] = [];
  ended = false;
  private cursor = 0;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    void this.pump();
  }

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    return new SseClient(response, controller);
  }

  /** The next frame (after those already taken) matching `match`; earlier non-matching ones are skipped. */
  async next(
    match: (frame: SseFrame) => boolean = isEvent,
    what = 'an SSE frame',
  ): Promise<SseFrame> {
    const found = await waitUntil(
      () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          const frame = this.frames[i];
          if (frame && match(frame)) {
            this.cursor = i + 1;
            return frame;
          }
        }
        return null;
      },
      { timeoutMs: 10_000, what },
    );
    return found;
  }

  /** The next `count` events (frames with an `event:` line), in order. */
  async events(count: number): Promise<SseFrame[]> {
    const out: SseFrame[] = [];
    for (let i = 0; i < count; i++)
      out.push(await this.next(isEvent, `event ${i + 1} of ${count}`));
    return out;
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
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.frames.push(parseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    } finally {
      this.ended = true;
    }
  }
}

const isEvent = (frame: SseFrame): boolean => frame.event !== undefined;

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
  }
  if (data.length > 0) frame.data = JSON.parse(data.join('\n')) as unknown;
  return frame;
}
