/**
 * The `/rebalance/analyze` request contract (spec 11 §13): shared snapshots plus up to 20
 * named scenarios, each with its own EngineOptions (validated per scenario by the batch
 * engine, so one bad scenario does not reject the batch).
 */
import { z } from 'zod';
import {
  marketDataSnapshotSchema,
  modelPortfolioSchema,
  portfolioSnapshotSchema,
  shelfEntrySchema,
} from './dpm-request.js';
import { list, nullable, object, string } from './primitives.js';

export const MAX_SCENARIOS = 20;
export const SCENARIO_NAME = /^[a-z0-9_-]{1,64}$/;

export const scenarioSchema = object({
  description: nullable(string()),
  options: z
    .record(z.string(), z.unknown())
    .meta({ description: 'EngineOptions for this scenario; omitted fields take their defaults.' }),
}).meta({ id: 'Scenario', description: 'One what-if scenario: its own engine options.' });

export const analyzeRequestSchema = object({
  portfolio_snapshot: portfolioSnapshotSchema,
  market_data_snapshot: marketDataSnapshotSchema,
  model_portfolio: modelPortfolioSchema,
  shelf_entries: list(shelfEntrySchema),
  scenarios: z.record(z.string(), scenarioSchema).check((payload) => {
    const names = Object.keys(payload.value);
    if (names.length < 1 || names.length > MAX_SCENARIOS)
      payload.issues.push({
        code: 'custom',
        message: `Value error, scenarios must contain between 1 and ${MAX_SCENARIOS} entries`,
        input: payload.value,
        params: { type: 'value_error' },
      });
    for (const name of names)
      if (!SCENARIO_NAME.test(name))
        payload.issues.push({
          code: 'custom',
          message: `Value error, scenario name '${name}' must match [a-z0-9_-]{1,64}`,
          input: name,
          params: { type: 'value_error' },
        });
  }),
}).meta({
  id: 'AnalyzeRequest',
  description: 'A batch what-if request: shared snapshots, up to 20 named scenarios.',
});

export type AnalyzeRequest = z.output<typeof analyzeRequestSchema>;
