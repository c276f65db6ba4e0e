/**
 * JSON Lines from a byte stream without holding the stream: lines are cut as chunks arrive,
 * numbered from 1, blank lines skipped (still counted), a line longer than `maxLineBytes`
 * reported instead of buffered further.
 */
export interface Line {
  line: number;
  text: string;
  /** Set when the line exceeded the limit (its text is then empty). */
  tooLong?: boolean;
}

export async function* jsonLines(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxLineBytes = 16 * 1024 * 1024,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let line = 0;
  const finish = (): Line | null => {
    line++;
    if (skipping) {
      skipping = false;
      parts = [];
      size = 0;
      return { line, text: '', tooLong: true };
    }
    let text = Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trim() === '' ? null : { line, text };
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (!skipping) {
        parts.push(chunk.subarray(start, nl));
        size += nl - start;
        if (size > maxLineBytes) skipping = true;
      }
      const out = finish();
      if (out) yield out;
      start = nl + 1;
    }
    if (start < chunk.length && !skipping) {
      parts.push(chunk.subarray(start));
      size += chunk.length - start;
      if (size > maxLineBytes) {
        skipping = true;
        parts = [];
      }
    }
  }
  if (size > 0 || skipping) {
    const out = finish();
    if (out) yield out;
  }
}
