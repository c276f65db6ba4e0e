/**
 * The review console in a real headless Chromium (Debian's `chromium` driven by playwright-core)
 * against the real application on a free port with an embedded store and authentication on:
 * a run's charts carry the right numbers, a second user approves it (the creator is refused,
 * four eyes), a proposal is walked to EXECUTED by an advisor and a compliance officer, and a
 * user without permission sees no action buttons while the API refuses them anyway.
 * KEEL_CONSOLE_SCREENSHOTS=<dir> also saves the screenshots of docs/console/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookService } from '../../src/api/books/service.js';
import { consoleDirectory } from '../../src/api/console/routes.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { NDJSON, SMALL_BOOK } from '../support/book.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';
import { signUser } from '../support/jwt.js';
import { scenarioBase, settled } from '../support/scenarios.js';

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'a-console-browser-secret-of-sufficient-length-42';
const SHOTS = process.env.KEEL_CONSOLE_SCREENSHOTS;
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `console browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does)`,
  );

const sign = (sub: string, roles: string[]) => signUser(SECRET, sub, roles, 'bank-a', '30m');

const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};

/** Headless Chromium on a fresh profile directory (the caller removes it). */
async function launchChromium(
  options: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
  extraArgs: string[] = [],
): Promise<{ profile: string; context: BrowserContext }> {
  const profile = mkdtempSync(join(tmpdir(), 'keel-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      ...extraArgs,
    ],
  });
  return { profile, context };
}

/** Closes the browser and removes its profile (either is missing when beforeAll failed early). */
async function closeChromium(
  context: BrowserContext | undefined,
  profile: string | undefined,
): Promise<void> {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
}

/** Serves the test app on a free loopback port; its base URL. */
async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
}

/**
 * A new tab (its own sessionStorage) signed in with `token` as `who`, on `path`; on close it
 * fails if the page requested anything but `base` and the URL schemes in `allowed`.
 */
async function signedInTab(
  context: BrowserContext,
  base: string,
  token: string,
  who: string,
  path: string,
  allowed: string[],
): Promise<Page> {
  const page = await context.newPage();
  const outside: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !allowed.some((scheme) => url.startsWith(scheme))) outside.push(url);
  });
  page.on('close', () => expect(outside, 'requests outside Keel').toEqual([]));
  await page.goto(`${base}${path}`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(who, { exact: false }).first().waitFor();
  return page;
}

describe.skipIf(!HAVE_CHROMIUM)('review console in Chromium (embedded)', () => {
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let profile: string;
  const token: Record<string, string> = {};
  let pendingRun: string;
  let ownRun: string;
  let proposalId: string;
  let scenarioId: string;

  const auth = (who: string) => ({ Authorization: `Bearer ${token[who]}` });

  beforeAll(async () => {
    if (!consoleDirectory(process.env)) throw new Error('dist/console is missing: run `npm run build` first');
    t = await startTestApp('embedded', { KEEL_JWT_SECRET: SECRET, DPM_WORKFLOW_ENABLED: 'true' }, undefined, {
      workers: 1,
    });
    base = await listen(t);
    for (const [who, roles] of [
      ['pm_alice', ['portfolio_manager']],
      ['compliance_bob', ['compliance']],
      ['advisor_carol', ['advisor']],
      ['support_dave', ['support']],
      ['admin_erin', ['admin']],
    ] as [string, string[]][])
      token[who] = await sign(who, roles);

    const run = await t.post('/rebalance/simulate', demo('29_dpm_workflow_gate_disabled_contract.json'), {
      ...auth('pm_alice'),
      'Idempotency-Key': 'console-29',
    });
    expect(run.json.status).toBe('PENDING_REVIEW');
    pendingRun = run.json.rebalance_run_id;
    const body = JSON.parse(demo('29_dpm_workflow_gate_disabled_contract.json'));
    body.portfolio_snapshot.portfolio_id = 'pf_erin_own';
    const own = await t.post('/rebalance/simulate', body, {
      ...auth('admin_erin'),
      'Idempotency-Key': 'console-own',
    });
    ownRun = own.json.rebalance_run_id;
    await t.post('/rebalance/simulate', demo('01_standard_drift.json'), {
      ...auth('pm_alice'),
      'Idempotency-Key': 'console-01',
    });

    const { created_by: _c, ...create } = JSON.parse(demo('20_advisory_proposal_persist_create.json'));
    const proposal = await t.post('/rebalance/proposals', create, {
      ...auth('advisor_carol'),
      'Idempotency-Key': 'console-proposal',
    });
    expect(proposal.status).toBe(200);
    proposalId = proposal.json.proposal.proposal_id;
    const { created_by: _v, ...version } = JSON.parse(demo('21_advisory_proposal_new_version.json'));
    expect(
      (await t.post(`/rebalance/proposals/${proposalId}/versions`, version, auth('advisor_carol'))).status,
    ).toBe(200);

    const scenario = await t.post(
      '/v1/scenarios',
      { name: 'Console demo', tags: ['console'], base: scenarioBase(), assumptions: [] },
      auth('pm_alice'),
    );
    expect(scenario.status).toBe(201);
    scenarioId = scenario.json.id;
    // Three runs, the later ones after an equity shock and a cash inflow: the metrics move.
    const assumptions = [
      [],
      [{ driver_type: 'market_shock', payload: { scope: 'asset_class', match: 'EQUITY', shock_pct: '-10' } }],
      [{ driver_type: 'cash_flow', payload: { currency: 'USD', amount: '5000' } }],
    ];
    for (const [i, list] of assumptions.entries()) {
      if (i > 0)
        expect(
          (await t.request('PATCH', `/v1/scenarios/${scenarioId}`, { assumptions: list }, auth('pm_alice')))
            .status,
        ).toBe(200);
      const started = await t.post(
        `/v1/scenarios/${scenarioId}/run`,
        { code_version: `v${i}` },
        auth('pm_alice'),
      );
      expect((await settled(t, started.json.status_url, auth('pm_alice'))).json.state).toBe('SUCCEEDED');
    }

    ({ profile, context } = await launchChromium({ viewport: { width: 1280, height: 900 } }, [
      '--disable-component-update',
      '--disable-sync',
    ]));
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await closeChromium(context, profile);
    await t?.close();
  });

  /** A new tab (its own sessionStorage) signed in as `who`, on `path`. */
  const tabAs = (who: string, path: string) => signedInTab(context, base, token[who]!, who, path, ['data:']);

  it('lists runs with filters and paging state in the URL', async () => {
    const page = await tabAs('compliance_bob', '/console/runs');
    // Three simulations and the engine runs of the three scenario runs.
    const all = (await t.get('/rebalance/runs', auth('compliance_bob'))).json.items;
    expect(all).toHaveLength(6);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(6);
    await shot(page, 'runs');
    await page.getByLabel('Status').selectOption('PENDING_REVIEW');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=PENDING_REVIEW/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Portfolio').fill('pf_erin_own');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/portfolio_id=pf_erin_own/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.close();
  }, 120_000);

  it('shows a run: charts with the right numbers, intents, rules; a second user approves it', async () => {
    const page = await tabAs('compliance_bob', `/console/runs/${pendingRun}`);
    const byClass = page.locator('canvas#chart-asset-class');
    await byClass.waitFor();
    expect(await byClass.getAttribute('role')).toBe('img');
    const classLabel = await byClass.getAttribute('aria-label');
    expect(classLabel).toContain('CASH: before 100.00%, after 50.00%, target 50%');
    expect(classLabel).toContain('UNKNOWN: before 0%, after 50.00%, target 50%');
    const instrumentLabel = await page.locator('canvas#chart-instrument').getAttribute('aria-label');
    expect(instrumentLabel).toContain('EQ_1: before 0%, after 50.00%, target 50%');
    // The chart drew something: its canvas is no longer blank.
    const inked = await page.locator('canvas#chart-instrument').evaluate((c: any) =>
      c
        .getContext('2d')!
        .getImageData(0, 0, c.width, c.height)
        .data.some((v: number, i: number) => i % 4 === 3 && v > 0),
    );
    expect(inked).toBe(true);
    // What the tooltip shows is repeated in the live region under the pointer.
    await page.locator('canvas#chart-instrument').hover();
    await expect
      .poll(() => page.getByTestId('chart-instrument-readout').textContent())
      .toBe('EQ_1: before 0%, after 50.00%, target 50%');
    await expect
      .poll(() =>
        page.getByRole('region', { name: 'Intents table', exact: true }).locator('tbody tr').count(),
      )
      .toBe(1);
    expect(
      await page.getByRole('region', { name: 'Rule results table', exact: true }).textContent(),
    ).toContain('CASH_BAND');
    expect(
      await page.getByRole('region', { name: 'Allocation by instrument: the numbers' }).textContent(),
    ).toContain('50.00%');
    await shot(page, 'run');

    // The review panel: approve with a reason.
    const review = page.getByRole('region', { name: 'Review', exact: true });
    await review.getByText('Review state:').waitFor();
    expect(await review.textContent()).toContain('Review state: Pending review');
    await page.getByLabel('Approve').check();
    await page.getByLabel('Reason (comment)').fill('Cash drawdown acceptable.');
    await page.getByRole('button', { name: 'Approve run' }).click();
    await page.getByText('Decision recorded: the run is now APPROVED.').waitFor();
    await page.getByText('APPROVE by compliance_bob').waitFor();
    expect(await review.locator('.badge').first().textContent()).toBe('Approved');
    const state = await t.get(`/rebalance/runs/${pendingRun}/workflow`, auth('support_dave'));
    expect(state.json.workflow_status).toBe('APPROVED');
    expect(state.json.latest_decision).toMatchObject({
      actor_id: 'compliance_bob',
      comment: 'Cash drawdown acceptable.',
    });
    await page.close();
  }, 120_000);

  it('refuses the run’s creator (four eyes) and says so', async () => {
    const page = await tabAs('admin_erin', `/console/runs/${ownRun}`);
    await page.getByLabel('Approve').check();
    await page.getByRole('button', { name: 'Approve run' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('FOUR_EYES_VIOLATION');
    expect((await t.get(`/rebalance/runs/${ownRun}/workflow`, auth('admin_erin'))).json.workflow_status).toBe(
      'PENDING_REVIEW',
    );
    await page.close();
  }, 120_000);

  it('walks a proposal to EXECUTED: advisor submits, compliance approves, advisor records consent and executes', async () => {
    const carol = await tabAs('advisor_carol', `/console/proposals/${proposalId}`);
    await carol.getByText('Trades: version 1 → 2').waitFor();
    expect(
      await carol
        .getByRole('region', { name: 'Trade differences table', exact: true })
        .locator('tbody tr')
        .count(),
    ).toBeGreaterThan(0);
    expect(
      await carol.getByRole('region', { name: 'Versions table', exact: true }).locator('tbody tr').count(),
    ).toBe(2);
    await shot(carol, 'proposal');
    // The creator may submit but not approve her own proposal (no approve buttons offered).
    expect(await carol.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await carol.getByLabel('Reason or note (stored with the action)').fill('Ready for compliance');
    await carol.getByRole('button', { name: 'Submit for compliance review' }).click();
    await carol.getByText('Done: the proposal is now Compliance review.').waitFor();

    const bob = await tabAs('compliance_bob', `/console/proposals/${proposalId}`);
    await bob.getByRole('button', { name: 'Approve (Compliance)' }).click();
    await bob.getByText('Done: the proposal is now Awaiting client consent.').waitFor();
    expect(await bob.getByRole('button', { name: 'Mark executed' }).count()).toBe(0);
    await bob.close();

    await carol.reload();
    await carol.getByRole('button', { name: 'Record client consent' }).click();
    await carol.getByText('Done: the proposal is now Execution ready.').waitFor();
    await carol.getByRole('button', { name: 'Mark executed' }).click();
    await carol.getByText('Done: the proposal is now Executed.').waitFor();
    await carol.getByText('The proposal is closed: no further actions.').waitFor();
    const timeline = carol.getByRole('region', { name: 'Timeline', exact: true });
    await expect
      .poll(() => timeline.textContent())
      .toContain('Executed: EXECUTION_READY → EXECUTED, by advisor_carol');
    expect(await timeline.textContent()).toContain('Compliance given by compliance_bob');
    expect(
      (await t.get(`/rebalance/proposals/${proposalId}`, auth('support_dave'))).json.proposal.current_state,
    ).toBe('EXECUTED');
    await carol.goto(`${base}/console/proposals?state=EXECUTED`);
    await expect.poll(() => carol.locator('tbody tr').count()).toBe(1);
    await shot(carol, 'proposals');
    await carol.close();
  }, 180_000);

  it('shows a user without permission no action buttons, and the API refuses them anyway', async () => {
    const { created_by: _c, ...create } = JSON.parse(demo('20_advisory_proposal_persist_create.json'));
    const draft = (
      await t.post('/rebalance/proposals', create, {
        ...auth('advisor_carol'),
        'Idempotency-Key': 'console-draft',
      })
    ).json.proposal.proposal_id;
    const body = JSON.parse(demo('29_dpm_workflow_gate_disabled_contract.json'));
    body.portfolio_snapshot.portfolio_id = 'pf_dave';
    const run = (
      await t.post('/rebalance/simulate', body, { ...auth('pm_alice'), 'Idempotency-Key': 'console-dave' })
    ).json.rebalance_run_id;

    const page = await tabAs('support_dave', `/console/runs/${run}`);
    await page.getByText('You can see this review but not decide it').waitFor();
    expect(await page.getByRole('form', { name: 'Review decision' }).count()).toBe(0);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    const refused = await page.evaluate(
      async ([url, tok]) =>
        (
          await fetch(url!, {
            method: 'POST',
            headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ action: 'APPROVE', reason_code: 'REVIEW_APPROVED' }),
          })
        ).status,
      [`/rebalance/runs/${run}/workflow/actions`, token.support_dave],
    );
    expect(refused).toBe(403);

    await page.goto(`${base}/console/proposals/${draft}`);
    await page.getByText('You may take no action on this proposal in its current state.').waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    const refusedProposal: any = await page.evaluate(
      async ([url, tok]) =>
        (
          await fetch(url!, {
            method: 'POST',
            headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ event_type: 'SUBMITTED_FOR_COMPLIANCE_REVIEW', expected_state: 'DRAFT' }),
          })
        ).json(),
      [`/rebalance/proposals/${draft}/transitions`, token.support_dave],
    );
    expect(refusedProposal.detail).toMatch(/^FORBIDDEN/);
    await page.close();
  }, 120_000);

  it('shows a scenario’s runs and its metrics over runs', async () => {
    const page = await tabAs('pm_alice', `/console/scenarios/${scenarioId}`);
    const chart = page.locator('canvas#chart-metric');
    await chart.waitFor();
    const runs = (await t.get(`/v1/scenarios/${scenarioId}/runs`, auth('pm_alice'))).json.data;
    const label = (await chart.getAttribute('aria-label'))!;
    for (const r of runs) expect(label).toContain(`${r.id}: ${r.metrics.turnover_pct.value}`);
    expect(
      await page
        .getByRole('region', { name: 'Scenario runs table', exact: true })
        .locator('tbody tr')
        .count(),
    ).toBe(3);
    expect(new Set(runs.map((r: any) => r.metrics.turnover_pct.value)).size).toBeGreaterThan(1);
    await shot(page, 'scenario');
    await page.close();
  }, 120_000);

  it('stays usable at tablet width and by keyboard', async () => {
    const page = await tabAs('compliance_bob', `/console/runs/${pendingRun}`);
    await page.setViewportSize({ width: 820, height: 1100 });
    await page.locator('canvas#chart-asset-class').waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'run-tablet');
    // The skip link moves to the content; the page heading takes focus on every page.
    expect(await page.evaluate<string>('document.activeElement?.tagName')).toBe('H1');
    await page.getByRole('link', { name: 'Skip to content' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#main$/);
    await page.close();
  }, 120_000);
});

describe.skipIf(!HAVE_CHROMIUM)('book pages in Chromium on the real book API (embedded)', () => {
  // A queue but no in-process workers: the test runs the book's chunks itself, so the page is
  // seen QUEUED, part-way and SUCCEEDED deterministically.
  const env = { KEEL_JWT_SECRET: SECRET, KEEL_BOOK_CHUNK_SIZE: '2' };
  let t: TestApp;
  let books: BookService;
  let engine: EnginePool;
  let base: string;
  let context: BrowserContext;
  let profile: string;
  const token: Record<string, string> = {};
  const auth = (who: string) => ({ Authorization: `Bearer ${token[who]}` });

  beforeAll(async () => {
    if (!consoleDirectory(process.env)) throw new Error('dist/console is missing: run `npm run build` first');
    t = await startTestApp('embedded', env, undefined, { workers: 0 });
    engine = new EnginePool({ threads: 0 });
    books = new BookService(t.store.db, t.queue!, engine, env);
    base = await listen(t);
    for (const [who, roles] of [
      ['pm_alice', ['portfolio_manager']],
      ['support_dave', ['support']],
    ] as [string, string[]][])
      token[who] = await sign(who, roles);
    ({ profile, context } = await launchChromium({
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    }));
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await closeChromium(context, profile);
    await engine?.close();
    await t?.close();
  }, 60_000);

  /** A new tab signed in as `who`, on `path` (downloads are blob: URLs). */
  const tabAs = (who: string, path: string) =>
    signedInTab(context, base, token[who]!, who, path, ['data:', 'blob:']);

  const submit = async (key: string) => {
    const res = await t.request('POST', '/rebalance/books', SMALL_BOOK, {
      ...NDJSON,
      ...auth('pm_alice'),
      'Idempotency-Key': key,
    });
    expect(res.status, res.text).toBe(202);
    return res.json.book_id as string;
  };

  const chunks = async (bookId: string) =>
    (
      await t.store.db.query<{ chunk_no: number }>(
        'SELECT chunk_no FROM rebalance_book_chunks WHERE book_id = $1 ORDER BY chunk_no',
        [bookId],
      )
    ).map((c) => c.chunk_no);

  /** The body rows of a table region, cell texts trimmed. */
  const rows = (page: Page, name: string) =>
    page
      .getByRole('region', { name, exact: true })
      .locator('tbody tr')
      .evaluateAll((trs: any[]): string[][] =>
        trs.map((tr) =>
          Array.from(tr.children as ArrayLike<any>).map((c) => String(c.textContent ?? '').trim()),
        ),
      );

  it('follows a real book from QUEUED to SUCCEEDED: progress, summary, exceptions, blocks and CSV as the API has them', async () => {
    const id = await submit('console-book-1');
    // Without rebalance:simulate: no Cancel button on a live book, and the API refuses the call.
    const dave = await tabAs('support_dave', `/console/books/${id}`);
    await dave.getByText('0 of 7').waitFor();
    expect(await dave.locator('#progress ~ dl').textContent()).toContain('Queued');
    expect(await dave.getByText('Block orders are made once the book has finished.').count()).toBe(1);
    expect(await dave.getByRole('button').allTextContents()).toEqual(['Sign out']);
    const refused: any = await dave.evaluate(
      async ([url, tok]) => {
        const res = await fetch(url!, {
          method: 'POST',
          headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
          body: '{}',
        });
        return { status: res.status, body: await res.json() };
      },
      [`/rebalance/books/${id}/cancel`, token.support_dave],
    );
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^FORBIDDEN/);
    expect((await t.get(`/rebalance/books/${id}`, auth('support_dave'))).json.status).toBe('QUEUED');

    // With it: the Cancel button is there while the book is live.
    const alice = await tabAs('pm_alice', `/console/books/${id}`);
    await alice.getByRole('button', { name: 'Cancel book' }).waitFor();

    // Part-way: the polled page catches up with the API's progress.
    const [first, ...rest] = await chunks(id);
    expect(rest.length).toBeGreaterThan(0);
    await books.runChunk({ tenant: 'bank-a', book_id: id, chunk_no: first! });
    const partway = (await t.get(`/rebalance/books/${id}`, auth('support_dave'))).json;
    expect(partway.progress.portfolios_done).toBeGreaterThan(0);
    expect(partway.progress.portfolios_done).toBeLessThan(7);
    await dave.getByText(`${partway.progress.portfolios_done} of 7`).waitFor({ timeout: 15_000 });

    for (const c of rest) await books.runChunk({ tenant: 'bank-a', book_id: id, chunk_no: c });
    const book = (await t.get(`/rebalance/books/${id}`, auth('support_dave'))).json;
    expect(book.status).toBe('SUCCEEDED');
    await dave.getByText('7 of 7').waitFor({ timeout: 15_000 });
    await alice.getByText('7 of 7').waitFor({ timeout: 15_000 });
    expect(await alice.getByRole('button', { name: 'Cancel book' }).count()).toBe(0);

    const facts = (await dave.locator('#progress ~ dl').textContent())!;
    const p = book.progress;
    expect(facts).toContain('Succeeded');
    expect(facts).toContain(`${p.by_status.READY} / ${p.by_status.PENDING_REVIEW} / ${p.by_status.BLOCKED}`);
    expect(facts).toContain(`Failed lines${p.failed_lines}`);
    expect(facts).toContain('by pm_alice');
    expect(p.by_status).toEqual({ READY: 3, PENDING_REVIEW: 1, BLOCKED: 0 });

    // Summary: totals and the failed lines with the API's reasons.
    const summary = (await dave.locator('#summary ~ dl').textContent())!;
    const usd = book.summary.totals.by_base_currency.USD;
    expect(summary).toContain(`Intents${book.summary.totals.intents}`);
    expect(summary).toContain(
      `buys ${usd.buy_base} + sells ${usd.sell_base} = ${usd.turnover_base} USD; FX ${usd.fx_base} USD`,
    );
    expect(await rows(dave, 'Failed lines table')).toEqual(
      book.summary.failed_lines.map((f: { line: number; error: string }) => [String(f.line), f.error]),
    );

    // The exception queue, row for row.
    const exceptions = (await t.get(`/rebalance/books/${id}/exceptions`, auth('support_dave'))).json.items;
    expect(exceptions.length).toBeGreaterThan(0);
    expect(await rows(dave, 'Exceptions table')).toEqual(
      exceptions.map((e: any) => [
        String(e.line),
        e.portfolio_id,
        e.status === 'PENDING_REVIEW' ? 'Pending review' : e.status === 'BLOCKED' ? 'Blocked' : 'Ready',
        e.reason,
        e.detail,
      ]),
    );

    // Block orders: quantities and allocations exactly as the API's (hand-checked in books.test.ts).
    const blocks = (await t.get(`/rebalance/books/${id}/blocks`, auth('support_dave'))).json;
    expect(await rows(dave, 'Block orders table')).toEqual(
      blocks.blocks.map((b: any) => [
        b.instrument_id,
        b.side,
        b.quantity,
        b.allocations.map((a: any) => `${a.portfolio_id}: ${a.quantity}`).join(', '),
      ]),
    );
    expect(await rows(dave, 'Block orders table')).toContainEqual(['EQ_1', 'BUY', '150', 'A: 50, B: 100']);
    expect(await rows(dave, 'FX block orders table')).toEqual(
      blocks.fx_blocks.map((f: any) => [
        f.pair,
        f.buy_currency,
        f.amount,
        `${f.sell_amount_estimated} ${f.sell_currency}`,
        f.allocations.map((a: any) => `${a.portfolio_id}: ${a.amount}`).join(', '),
      ]),
    );
    await shot(dave, 'book');

    // The CSV export, fetched with the token under the console's CSP, is the API's file.
    const [csv] = await Promise.all([
      dave.waitForEvent('download'),
      dave.getByRole('button', { name: 'Download Block orders (CSV)' }).click(),
    ]);
    expect(csv.suggestedFilename()).toBe(`${id}.csv`);
    const saved = readFileSync((await csv.path())!, 'utf8');
    expect(saved).toBe((await t.get(`/rebalance/books/${id}/orders.csv`, auth('support_dave'))).text);
    expect(saved).toContain(',EQ_1,BUY,150,');
    const [fix] = await Promise.all([
      dave.waitForEvent('download'),
      dave.getByRole('button', { name: 'Download Block orders (FIX 4.4)' }).click(),
    ]);
    expect(readFileSync((await fix.path())!, 'utf8')).toBe(
      (await t.get(`/rebalance/books/${id}/orders.fix`, auth('support_dave'))).text,
    );
    await alice.close();
    await dave.close();
  }, 180_000);

  it('cancels a live book for a user with rebalance:simulate, and lists books by status', async () => {
    const id = await submit('console-book-2');
    const alice = await tabAs('pm_alice', `/console/books/${id}`);
    await alice.getByRole('button', { name: 'Cancel book' }).click();
    await alice.getByText('Cancelled: the book is now CANCELLED.').waitFor();
    await alice.getByText('No block orders: the book was cancelled.').waitFor();
    expect(await alice.getByRole('button', { name: 'Cancel book' }).count()).toBe(0);
    expect((await t.get(`/rebalance/books/${id}`, auth('pm_alice'))).json.status).toBe('CANCELLED');

    await alice.getByRole('link', { name: 'All books' }).click();
    await alice.waitForURL(/\/console\/books$/);
    const listed = (await t.get('/rebalance/books', auth('pm_alice'))).json.items;
    expect(listed).toHaveLength(2);
    await expect
      .poll(() => rows(alice, 'Books table').then((r) => r.map((cells) => [cells[0], cells[1], cells[2]])))
      .toEqual(
        listed.map((b: any) => [
          b.book_id,
          b.status === 'CANCELLED' ? 'Cancelled' : 'Succeeded',
          `${b.progress.portfolios_done} of ${b.progress.portfolios_total}`,
        ]),
      );
    await shot(alice, 'books');
    await alice.getByLabel('Status').selectOption('CANCELLED');
    await alice.getByRole('button', { name: 'Apply filters' }).click();
    await alice.waitForURL(/status=CANCELLED/);
    await expect.poll(() => rows(alice, 'Books table').then((r) => r.map((cells) => cells[0]))).toEqual([id]);
    await alice.getByRole('link', { name: id }).click();
    await alice.waitForURL(new RegExp(`/console/books/${id}$`));
    await alice.locator('#progress ~ dl').getByText('Cancelled').waitFor();
    await alice.close();
  }, 120_000);
});

describe.skipIf(!HAVE_CHROMIUM)('review console without authentication (embedded, loopback)', () => {
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let profile: string;
  let run: string;

  beforeAll(async () => {
    if (!consoleDirectory(process.env)) throw new Error('dist/console is missing: run `npm run build` first');
    // Nothing configured: the service trusts loopback callers (as `npm start` does).
    t = await startTestApp('embedded', { DPM_WORKFLOW_ENABLED: 'true' });
    base = await listen(t);
    const created = await t.post(
      '/rebalance/simulate',
      JSON.parse(demo('29_dpm_workflow_gate_disabled_contract.json')),
      { 'Idempotency-Key': 'console-open', 'X-Tenant-Id': 'desk-7' },
    );
    run = created.json.rebalance_run_id;
    ({ profile, context } = await launchChromium());
  }, 180_000);

  afterAll(async () => {
    await closeChromium(context, profile);
    await t?.close();
  });

  it('needs no token; the tenant and acting user come from the header fields', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/console/runs`);
    await page.getByText('Authentication is off.').waitFor();
    expect(await page.getByLabel('Bearer token').count()).toBe(0);
    // The default tenant has no runs; desk-7 has one.
    await page.getByText('No runs match these filters.').waitFor();
    await page.getByLabel('Tenant').fill('desk-7');
    await page.getByLabel('Acting as').fill('reviewer_zoe');
    await page.getByRole('button', { name: 'Use' }).click();
    await page.getByRole('link', { name: run }).click();
    await page.getByLabel('Approve').check();
    await page.getByRole('button', { name: 'Approve run' }).click();
    await page.getByText('Decision recorded: the run is now APPROVED.').waitFor();
    const state = await t.get(`/rebalance/runs/${run}/workflow`, { 'X-Tenant-Id': 'desk-7' });
    expect(state.json.latest_decision.actor_id).toBe('reviewer_zoe');
    await page.close();
  }, 120_000);
});
