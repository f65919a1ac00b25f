import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import { answerFor } from '../../src/delivery/answerSource';
import { startHttpServer } from '../../src/http/server';
import { GraphStore } from '../../src/neo4j/graphStore';
import { ALERT_EID, ALERT_FINGERPRINT } from '../fixtures/graph/incident';
import { connectStore, log, uniqueId } from '../fixtures/graph/harness';
import { deleteClientGraph, writeIncident } from '../fixtures/delivery/incidentGraph';

/**
 * The web UI in a real browser: Debian's chromium, headless, driven by playwright-core (which never
 * downloads a browser). The scripted incident goes through the real topology and graph builders
 * into a client of its own; the incidents page lists it with its top cause, the incident page
 * draws the causal graph with the root cause highlighted, confirm stores the feedback, and a
 * screenshot is written to .kgroot/ui-incident.png.
 */
describe('web UI in headless chromium', () => {
  const run = uniqueId('');
  const client = `${run}u`;
  let store: GraphStore;
  let cleanup: () => Promise<void>;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let browser: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), 'kgroot-chromium-'));

  beforeAll(async () => {
    store = await connectStore();
    ({ cleanup } = await writeIncident(store, run, [client]));
    server = await startHttpServer(
      { host: '127.0.0.1', port: 0, adminToken: undefined, clientTokens: new Map(), publicUrl: undefined, liveIntervalMs: 500 },
      { clients: async () => ({ spawner: 'process', workersAsOf: new Date().toISOString(), clients: [], rejected: {} }), health: () => ({ ok: true }), store: async () => store, answer: answerFor, log },
    );
    // A fresh profile directory (--user-data-dir) per run.
    log.info('launching chromium');
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      viewport: { width: 1400, height: 1000 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await deleteClientGraph(store, client).catch(() => undefined);
    await cleanup?.();
    await store?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('lists the incident, highlights its root cause in the graph, confirms it, and writes a screenshot', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    // Live streams are aborted when the page leaves them (ERR_ABORTED); anything else failing is an error.
    page.on('requestfailed', (r) => (r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().endsWith('/live') ? undefined : failed.push(`${r.url()} ${r.failure()?.errorText}`)));
    page.on('pageerror', (e) => failed.push(e.message));

    const t0 = Date.now();
    const step = (what: string) => log.info({ what, ms: Date.now() - t0 }, 'browser step');
    await page.goto(`${server.url}/#/clients/${client}`);
    const row = page.locator(`tr[data-fingerprint="${ALERT_FINGERPRINT}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('[data-testid=top-cause]').innerText()).toContain('OOMKilled');
    expect(await row.locator('.badge').innerText()).toBe('firing');

    step('incidents listed');
    await row.locator('a').click();
    await page.waitForFunction(() => {
      const cy = (globalThis as unknown as { kgroot: { cy?: { nodes(): { length: number } } } }).kgroot.cy;
      return cy !== undefined && cy.nodes().length > 0;
    });
    step('graph drawn');
    const graph = await page.evaluate(() => {
      const cy = (globalThis as unknown as { kgroot: { cy: any } }).kgroot.cy;
      return {
        roots: cy.nodes('.root').map((n: any) => n.id()),
        alert: cy.nodes('.alert').map((n: any) => n.id()),
        rootColor: cy.getElementById('evt:oom-1').style('background-color'),
        rootBorder: cy.getElementById('evt:oom-1').style('border-width'),
        otherBorder: cy.getElementById('evt:backoff-1').style('border-width'),
        edges: cy.edges().length,
      };
    });
    expect(graph).toEqual({ roots: ['evt:oom-1'], alert: [ALERT_EID], rootColor: 'rgb(214,39,40)', rootBorder: '5px', otherBorder: '0px', edges: 6 });
    // An edge's rule on hover.
    // (Block bodies: returning a cytoscape collection would make playwright serialize the whole graph.)
    await page.evaluate(() => {
      (globalThis as unknown as { kgroot: { cy: any } }).kgroot.cy.edges('[rule = "oom->backoff"]').emit('mouseover');
    });
    expect(await page.locator('#tip').innerText()).toMatch(/^oom->backoff · confidence 0\.\d\d$/);
    await page.evaluate(() => {
      (globalThis as unknown as { kgroot: { cy: any } }).kgroot.cy.edges().emit('mouseout');
    });
    expect(await page.locator('[data-testid=cause]').first().getAttribute('data-eid')).toBe('evt:oom-1');
    expect(await page.locator('[data-testid=timeline] tr').count()).toBe(5);

    step('checked');
    await page.locator('[data-testid=cause][data-eid="evt:oom-1"] button.confirm').click();
    await page.locator('[data-testid=cause][data-eid="evt:oom-1"] [data-testid=confirmed]').waitFor({ timeout: 15_000 });
    const [stored] = await store.read(client, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.confirmed_cause AS c', params: { client, eid: ALERT_EID } });
    expect(stored.c).toBe('evt:oom-1');

    step('confirmed');
    mkdirSync('.kgroot', { recursive: true });
    const shot = join('.kgroot', 'ui-incident.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    // Everything came from the server itself: no request failed, no script error.
    expect(failed).toEqual([]);
    await page.close();
  });
});
