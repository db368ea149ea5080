/**
 * A reader of Server-Sent Events (the WHATWG `text/event-stream` format) from a
 * fetch body: `event:` / `data:` / `id:` fields, several `data:` lines joined
 * by "\n", comment lines (`: keep-alive`) skipped, an event ends at a blank
 * line, and LF, CRLF or CR all end a line. Chunks may split anything, even a
 * CRLF pair.
 */

export interface SseEvent {
  /** `message` when the event named none. */
  event: string;
  data: string;
  id?: string;
}

/** Splits text into complete lines; the unfinished tail is kept for the next chunk. */
class LineSplitter {
  private buffer = '';
  private skipLf = false;

  push(text: string): string[] {
    const lines: string[] = [];
    for (const char of text) {
      if (this.skipLf) {
        this.skipLf = false;
        if (char === '\n') continue;
      }
      if (char === '\r' || char === '\n') {
        lines.push(this.buffer);
        this.buffer = '';
        this.skipLf = char === '\r';
      } else {
        this.buffer += char;
      }
    }
    return lines;
  }
}

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const splitter = new LineSplitter();
  const decoder = new TextDecoder();
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const line of splitter.push(text)) {
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), ...(id === undefined ? {} : { id }) };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      // An event not ended by a blank line when the stream closes is dropped, as the spec says.
      if (done) return;
    }
  } finally {
    // The consumer stopped early (or the stream failed): close the connection too.
    await reader.cancel().catch(() => undefined);
  }
}
