// "Servicezahlen" (#18): the public figures page shows each figure as an accessible SVG chart
// with its table beside it, small counts masked, the same numbers as the API, and a CSV
// download; axe finds nothing at 360 and 1280 px.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, http, launch, portalCli, sessionCookie, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the figures page shows charts with tables beside them, masks small counts and matches the API', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    // Today's traffic through the real API: the demo pharmacy asks three times.
    await activeProvider(portal, 'Elbwiesen im Nebel 2026!');
    const login = await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: '301412340', password: 'Elbwiesen im Nebel 2026!' } });
    const cookie = sessionCookie(login);
    for (let i = 0; i < 3; i++) {
      const asked = await http(`${portal.address}/api/exemption-queries`, { method: 'POST', headers: { cookie }, json: { kvnr: 'A123456780', consent: 'insured_present' } });
      assert.equal(asked.status, 200, asked.text);
    }
    portalCli(portal, ['stats', 'rollup', '--tenant', 'plus']);
    const api = (await http(`${portal.address}/api/service-figures`)).json();
    const current = api.months.at(-1);
    assert.equal(current.queries_answered, '< 10');

    await page.goto(`${portal.address}/servicezahlen`);
    await page.getByRole('heading', { level: 1, name: 'Servicezahlen' }).waitFor();
    const charts = page.locator('svg[role="img"]');
    await charts.first().waitFor();
    assert.equal(await charts.count(), 2);
    for (const chart of await charts.all()) {
      assert.ok(await chart.locator('title').textContent());
      assert.ok(await chart.locator('desc').textContent());
      assert.ok(await chart.getAttribute('aria-labelledby'));
    }
    // The queries' table: a row per month, the current one masked like the API's.
    const queries = page.locator('table[aria-labelledby="queries-heading"] tbody tr');
    assert.equal(await queries.count(), api.months.length);
    const last = queries.last();
    assert.equal(await last.locator('th').textContent(), current.month);
    assert.equal(await last.locator('td').textContent(), '< 10');
    const csv = page.getByRole('link', { name: 'Alle Zahlen als CSV herunterladen' });
    await tabTo(page, csv);
    const download = await http(`${portal.address}${await csv.getAttribute('href')}`);
    assert.equal(download.status, 200);
    assert.match(download.text, new RegExp(`^${current.month};< 10;`, 'm'));
    await accessible(page, 'figures');
  } finally {
    portal.stop();
  }
});
