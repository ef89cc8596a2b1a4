/** Server-sent events read over fetch. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * An event stream read over fetch: collects events (and `: ping` comments) until `until` says so or
 * the time runs out, then disconnects.
 */
export async function readStream(
  url: string,
  options: {
    headers?: Record<string, string>;
    until: (events: SseEvent[], comments: string[]) => boolean;
    timeoutMs?: number;
    onOpen?: () => Promise<void> | void;
  },
): Promise<{ status: number; contentType: string; events: SseEvent[]; comments: string[]; body?: unknown }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  try {
    const res = await fetch(url, { headers: options.headers ?? {}, signal: controller.signal });
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.startsWith('text/event-stream')) {
      const text = await res.text();
      return {
        status: res.status,
        contentType,
        events,
        comments,
        body: text === '' ? null : JSON.parse(text),
      };
    }
    await options.onOpen?.();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      while (!options.until(events, comments)) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          parseBlock(block, events, comments);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    controller.abort();
    return { status: res.status, contentType, events, comments };
  } finally {
    clearTimeout(timer);
  }
}

function parseBlock(block: string, events: SseEvent[], comments: string[]) {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('id:')) {
      id = line.slice(3).trim();
      any = true;
    } else if (line.startsWith('event:')) {
      event = line.slice(6).trim();
      any = true;
    } else if (line.startsWith('data:')) {
      data.push(line.slice(5).replace(/^ /, ''));
      any = true;
    }
  }
  if (any && data.length > 0) events.push({ id, event, data: data.join('\n') });
}
