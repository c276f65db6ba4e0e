import { describe, expect, it } from 'vitest';
import { parseAndValidate } from '../../src/contracts/parse.js';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { simulateValue } from '../../src/compute/tasks.js';
import { resultStatus } from '../../src/engine/wire.js';
import { generateRequest } from '../../src/tools/generate-request.js';

const fullParse = (text: string) => (JSON.parse(text) as { status: string }).status;

describe('resultStatus: the status of a result text without parsing all of it', () => {
  it('reads what JSON.parse reads, from generated results', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const body = JSON.stringify(
        generateRequest({
          positions: 5 + seed,
          seed,
          constraints: seed % 2 === 0,
          mixedShelf: seed % 3 === 0,
        }),
      );
      const parsed = parseAndValidate(simulateRequestSchema, body);
      if (!parsed.ok) throw new Error('generated request does not validate');
      const text = simulateValue(parsed.value, {
        requestHash: 'sha256:test',
        rebalanceRunId: `rr_${seed}`,
        correlationId: seed % 2 ? 'c_"quoted\\"' : 'c_none',
      });
      expect(resultStatus(text)).toBe(fullParse(text));
      seen.add(resultStatus(text));
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it('handles escapes in the leading members and falls back on any other layout', () => {
    const texts = [
      {
        rebalance_run_id: 'rr_"1\\',
        correlation_id: 'c\u2028"\\"\n',
        status: 'BLO"CKED',
        x: { status: 'no' },
      },
      { correlation_id: 'c', rebalance_run_id: 'rr', status: 'SWAPPED' },
      { rebalance_run_id: 'rr', correlation_id: 'c', other: { status: 'NESTED' }, status: 'LATE' },
      { rebalance_run_id: 'rr', correlation_id: 'c', status: 'READY' },
    ].map((o) => JSON.stringify(o));
    texts.push('{ "rebalance_run_id": "rr", "correlation_id": "c", "status": "SPACED" }');
    for (const text of texts) expect(resultStatus(text)).toBe(fullParse(text));
    expect(resultStatus(texts[0]!)).toBe('BLO"CKED');
    expect(resultStatus(texts[2]!)).toBe('LATE');
  });
});
