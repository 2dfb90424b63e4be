// The information pages per Berufsfeld, with the keyboard: the list filtered by Berufsfeld and
// searched, a page with its breadcrumbs and sources, back to its Berufsfeld's list; a logged-in
// therapy practice lands on its own Berufsfeld. axe at 360 and 1280 px on the list and a page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, launch, startPortal, tabTo } from './portal.mjs';

const PRACTICE_IK = '401612342'; // Logopädie Sprachraum Erfurt, Berufsfeld heilmittel
const PASSWORD = 'Stimme und Sprache 2026!';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The titles the list shows, in its order. */
const titles = (page) => page.locator('.info-list h2').allInnerTexts();

/** Waits until the list shows `title` (and, with `without`, not that one). */
async function listShows(page, title, without) {
  for (let i = 0; i < 100; i++) {
    const shown = await titles(page);
    if (shown.includes(title) && (!without || !shown.includes(without))) return shown;
    await page.waitForTimeout(50);
  }
  throw new Error(`the list never showed "${title}"${without ? ` without "${without}"` : ''}: ${await titles(page)}`);
}

test('the information pages are filtered by Berufsfeld, searched and read with breadcrumbs, keyboard only', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    // From the start page's tile.
    await page.goto(`${portal.address}/`);
    await tabTo(page, page.getByRole('link', { name: 'Zu den Informationen' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Informationen für Leistungserbringer' }).waitFor();
    await listShows(page, 'Die Online-Hintergrund-Abfrage (OHA)');
    await accessible(page, 'info-list');

    // Pharmacies: their pages, then those for everyone; no therapy report.
    await tabTo(page, page.getByRole('button', { name: 'Apotheken' }));
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('button', { name: 'Apotheken' }).getAttribute('aria-pressed'), 'true');
    const pharmacy = await listShows(page, 'Zuzahlungen und Befreiung in der Apotheke (§§ 61, 62 SGB V)', 'Der Therapiebericht für Heilmittelpraxen');
    assert.equal(pharmacy[0], 'Informationen für Apotheken');

    // Heilmittel, then one profession of it.
    await tabTo(page, page.getByRole('button', { name: 'Heilmittel', exact: true }));
    await page.keyboard.press('Enter');
    await listShows(page, 'Der Therapiebericht für Heilmittelpraxen', 'Informationen für Apotheken');
    await tabTo(page, page.getByRole('button', { name: 'Stimm-, Sprech-, Sprach- und Schlucktherapie' }));
    await page.keyboard.press('Enter');
    await listShows(page, 'Informationen für Stimm-, Sprech-, Sprach- und Schlucktherapie');
    await accessible(page, 'info-list-heilmittel');

    // The search, across every Berufsfeld, umlauts typed or not.
    await tabTo(page, page.getByRole('button', { name: 'Alle Berufsfelder' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('searchbox', { name: 'In den Informationen suchen' }));
    await page.keyboard.type('Prüfnummer');
    await page.keyboard.press('Enter');
    await listShows(page, 'Die Online-Hintergrund-Abfrage (OHA)', 'Informationen für Hilfsmittelerbringer');
    await page.getByRole('status').filter({ hasText: 'Seiten gefunden:' }).waitFor();

    // A page, with its breadcrumbs and sources.
    await tabTo(page, page.getByRole('link', { name: 'Die Online-Hintergrund-Abfrage (OHA)' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Die Online-Hintergrund-Abfrage (OHA)' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/info/oha');
    const crumbs = page.getByRole('navigation', { name: 'Sie sind hier' });
    assert.deepEqual(await crumbs.locator('li').allInnerTexts(), ['Informationen', 'Die Online-Hintergrund-Abfrage (OHA)']);
    await page.getByRole('heading', { level: 2, name: 'Quellen' }).waitFor();
    assert.equal(await page.locator('.info-body script').count(), 0);
    await accessible(page, 'info-page');

    // A link inside the text leads to another page of the app.
    await tabTo(page, page.locator('.info-body').getByRole('link', { name: 'Einwilligungserklärungen' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Die Einwilligungserklärungen der OHA' }).waitFor();

    // A pharmacy's page: its Berufsfeld in the breadcrumbs leads to that list.
    await page.goto(`${portal.address}/info/zuzahlung-apotheke`);
    await page.getByRole('heading', { level: 1, name: /^Zuzahlungen und Befreiung/ }).waitFor();
    assert.deepEqual(await crumbs.locator('li').allInnerTexts(), ['Informationen', 'Apotheken', 'Zuzahlungen und Befreiung in der Apotheke (§§ 61, 62 SGB V)']);
    await accessible(page, 'info-page-table');
    await tabTo(page, crumbs.getByRole('link', { name: 'Apotheken' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Informationen für Leistungserbringer' }).waitFor();
    await listShows(page, 'Informationen für Apotheken', 'Der Therapiebericht für Heilmittelpraxen');

    // An unknown page says so.
    await page.goto(`${portal.address}/info/gibt-es-nicht`);
    await page.getByRole('alert').filter({ hasText: 'Diese Informationsseite gibt es nicht' }).waitFor();

    // The chrome speaks English; the pages stay German.
    await page.goto(`${portal.address}/info`);
    await tabTo(page, page.getByRole('button', { name: 'Sprache wechseln: English' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Information for providers' }).waitFor();
    await page.getByRole('button', { name: 'Pharmacies' }).waitFor();
    await accessible(page, 'info-list-en');
  } finally {
    portal.stop();
  }
});

test('a logged-in therapy practice lands on the Heilmittel pages', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, PASSWORD, portal.address, PRACTICE_IK);
    await page.goto(`${portal.address}/anmelden`);
    await tabTo(page, page.locator('#ik'));
    await page.keyboard.type(PRACTICE_IK);
    await tabTo(page, page.locator('#password'));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();
    await page.goto(`${portal.address}/info`);
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();
    await page.waitForFunction(() => document.querySelector('button[aria-pressed="true"]')?.textContent === 'Heilmittel');
    const shown = await listShows(page, 'Der Therapiebericht für Heilmittelpraxen', 'Informationen für Apotheken');
    assert.equal(shown[0], 'Informationen für Heilmittelerbringer');
  } finally {
    portal.stop();
  }
});
