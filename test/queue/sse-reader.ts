/** A test client for event streams: every block (events and bare `retry:` fields) in order. */
export interface Block {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
}

/** Reads an event stream to its end (or `close()`), keeping every block in order. */
export function readStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const blocks: Block[] = [];
  let outcome: 'open' | 'ended' | 'error' = 'open';
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal }).catch(() => null);
    if (res === null) {
      outcome = 'error'; // closed before the answer came
      return;
    }
    if (res.status !== 200 || res.body === null) throw new Error(`stream answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block: Block = {};
          for (const line of buffer.slice(0, cut).split('\n')) {
            const at = line.indexOf(': ');
            const field = line.slice(0, at) as keyof Block;
            if (at > 0 && ['id', 'event', 'data', 'retry'].includes(field)) block[field] = line.slice(at + 2);
          }
          buffer = buffer.slice(cut + 2);
          if (Object.keys(block).length > 0) blocks.push(block);
        }
      }
      outcome = buffer === '' ? 'ended' : 'error';
    } catch {
      outcome = 'error';
    }
  })();
  return { blocks, done, outcome: () => outcome, close: () => controller.abort() };
}

export const eventsOf = (blocks: Block[], name: string) => blocks.filter((b) => b.event === name);
