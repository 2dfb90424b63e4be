// A provider's day in the app, with the keyboard only: register, read both letters, first login,
// own password, three queries, the printout, logout. Then the session's end and the English switch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, launch, letters, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';

/** Types the KVNR, picks the consent as a keyboard user does (Tab into the radio group, the
 * arrow keys between its options), and searches. */
async function query(page, kvnr, consentId) {
  await tabTo(page, page.locator('#kvnr'));
  await page.keyboard.type(kvnr);
  await tabTo(page, page.locator('#insured_present'));
  await page.keyboard.press(consentId === 'insured_present' ? 'Space' : 'ArrowDown');
  assert.ok(await page.locator(`#${consentId}`).isChecked(), consentId);
  await tabTo(page, page.getByRole('button', { name: 'Suche' }));
  await page.keyboard.press('Enter');
}

/** Logs the demo pharmacy in from the login page, with the keyboard. */
async function logIn(page, password) {
  await tabTo(page, page.locator('#ik'));
  await page.keyboard.type('301412340');
  await tabTo(page, page.locator('#password'));
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

async function searchAgain(page) {
  await tabTo(page, page.getByRole('button', { name: 'Erneute Suche' }));
  await page.keyboard.press('Enter');
  await page.locator('#kvnr').waitFor();
}

test('a provider registers, sets a password and queries with the keyboard only', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${portal.address}/`);
    await page.getByRole('heading', { level: 1, name: 'Serviceportal für Leistungserbringer' }).waitFor();
    await accessible(page, 'start');

    await tabTo(page, page.getByRole('link', { name: 'Registrieren', exact: true }).first());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Registrieren' }).waitFor();
    await accessible(page, 'register');
    await tabTo(page, page.locator('#ik'));
    await page.keyboard.type('301412341');
    await page.getByText('Die Prüfziffer des Institutionskennzeichens stimmt nicht.').waitFor();
    await page.keyboard.press('Backspace');
    await page.keyboard.type('0');
    await page.getByText('Das IK ist gültig.').waitFor();
    await tabTo(page, page.locator('#terms'));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByRole('button', { name: 'Registrieren' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Registrierung abgeschlossen' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Muster-Apotheke am Altmarkt, p\*\*\*@muster-apotheke\.example/);
    await accessible(page, 'registered');

    const { password, pruefnummer } = await letters(portal.outbox);
    await tabTo(page, page.getByRole('link', { name: 'Zur Anmeldung' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
    await accessible(page, 'login');
    await logIn(page, password);

    await page.getByRole('heading', { name: 'Eigenes Kennwort vergeben' }).waitFor();
    await page.getByText(/Ihre Sitzung läuft in 10 Minuten ab/).waitFor();
    await accessible(page, 'set-password');
    await tabTo(page, page.locator('#pruefnummer'));
    await page.keyboard.type(pruefnummer);
    await tabTo(page, page.locator('#new-password'));
    await page.keyboard.type('kurz');
    await page.keyboard.press('Enter');
    await page.getByText('Das Kennwort braucht mindestens 12 Zeichen.').waitFor();
    await page.locator('#new-password').fill('');
    await page.keyboard.type(OWN_PASSWORD);
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    await accessible(page, 'search');
    await tabTo(page, page.locator('#kvnr'));
    await page.keyboard.type('A123456789');
    await page.getByText('Die Prüfziffer der Versicherungsnummer stimmt nicht.').waitFor();
    await page.locator('#kvnr').fill('');

    await query(page, 'A121212122', 'insured_present');
    const exempt = page.locator('table');
    await exempt.waitFor();
    assert.match(await exempt.locator('caption').innerText(), /A121212122 - Ö\. Ç\./);
    assert.match(await exempt.innerText(), new RegExp(`${new Date().getFullYear()}\\s+Ja`));
    await accessible(page, 'result-exempt');
    await page.emulateMedia({ media: 'print' });
    assert.match(await page.locator('.print-only').innerText(), /Abfrage-ID: [0-9A-Z]{26} · Abgefragt am/);
    await page.screenshot({ path: `${(await import('./portal.mjs')).screenshots}/print.png`, fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    await searchAgain(page);
    await query(page, 'B234567895', 'representative_present');
    await page.locator('table').waitFor();
    assert.match(await page.locator('table').innerText(), new RegExp(`${new Date().getFullYear()}\\s+Nein`));

    await searchAgain(page);
    await query(page, 'C345678908', 'insured_present');
    await page.getByText('Die Suche ergab keinen Treffer.').waitFor();
    await page.getByText('Es liegt keine Zuzahlungsbefreiung vor.').waitFor();
    await accessible(page, 'result-none');

    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await accessible(page, 'logged-out');
  } finally {
    portal.stop();
  }
});

test('an idle session ends with a clear page', async () => {
  const portal = await startPortal({ PORTAL_SESSION_IDLE_SECONDS: '10' });
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    await page.goto(`${portal.address}/anmelden`);
    await logIn(page, OWN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    await page.getByText('Ihre Sitzung läuft in weniger als einer Minute ab.').first().waitFor();
    await page.getByRole('heading', { name: 'Ihre Sitzung ist abgelaufen' }).waitFor({ timeout: 20_000 });
    await accessible(page, 'session-ended');
    const response = await page.request.get(`${portal.address}/api/session`);
    assert.equal(response.status(), 401);
  } finally {
    portal.stop();
  }
});

test('a provider extends the session, and resets a forgotten password with the Prüfnummer', async () => {
  // 75 s: the countdown shows "2 Minuten" at once and warns after 16 s, when extending moves the
  // end by more than the 15 s the server waits for before it writes an extension.
  const portal = await startPortal({ PORTAL_SESSION_IDLE_SECONDS: '75' });
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    const { pruefnummer } = await letters(portal.outbox);
    await page.goto(`${portal.address}/anmelden`);
    await logIn(page, OWN_PASSWORD);
    await page.getByText('Ihre Sitzung läuft in 2 Minuten ab.').first().waitFor();
    await page.getByText('Ihre Sitzung läuft in weniger als einer Minute ab.').first().waitFor({ timeout: 25_000 });
    await tabTo(page, page.getByRole('button', { name: 'Sitzung verlängern' }).first());
    await page.keyboard.press('Enter');
    await page.getByText('Ihre Sitzung läuft in 2 Minuten ab.').first().waitFor();

    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await page.goto(`${portal.address}/kennwort-zuruecksetzen`);
    const NEW_PASSWORD = 'Sandsteinfelsen am Fluss 7';
    await tabTo(page, page.locator('#ik'));
    await page.keyboard.type('301412340');
    await tabTo(page, page.locator('#pruefnummer'));
    await page.keyboard.type('AAAA-AAAA-AAAA');
    await tabTo(page, page.locator('#new-password'));
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText('IK oder Prüfnummer ist falsch.').waitFor();
    assert.equal(await page.locator('#new-password').inputValue(), NEW_PASSWORD, 'nothing typed is lost');
    await tabTo(page, page.locator('#pruefnummer'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type(pruefnummer);
    await page.keyboard.press('Enter');
    await page.getByText('Ihr Kennwort ist gespeichert.', { exact: false }).waitFor();
    const login = await page.request.post(`${portal.address}/api/session`, {
      data: { ik: '301412340', password: NEW_PASSWORD },
    });
    assert.equal(login.status(), 200, 'the new password works');
  } finally {
    portal.stop();
  }
});

test('after several wrong passwords the browser solves a security check and the provider gets in', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    // Someone else tried five passwords for this IK: no lock, but a check before each attempt.
    for (let i = 0; i < 5; i++) {
      const wrong = await page.request.post(`${portal.address}/api/session`, { data: { ik: '301412340', password: 'geraten' } });
      assert.equal(wrong.status(), 401);
    }
    const unchecked = await page.request.post(`${portal.address}/api/session`, { data: { ik: '301412340', password: OWN_PASSWORD } });
    assert.equal((await unchecked.json()).code, 'challenge_required');
    await page.goto(`${portal.address}/anmelden`);
    await logIn(page, OWN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
  } finally {
    portal.stop();
  }
});

test('the app speaks English when asked and remembers it', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${portal.address}/`);
    await tabTo(page, page.getByRole('button', { name: 'Sprache wechseln: English' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Service portal for providers' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Service portal for providers' }).waitFor();
    await accessible(page, 'start-en');
  } finally {
    portal.stop();
  }
});

test('the pages off the main journey are accessible too', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    for (const [path, name, heading] of [
      ['/kennwort-zuruecksetzen', 'reset-password', 'Passwort zurücksetzen'],
      ['/nutzungsbedingungen', 'terms', 'Nutzungsbedingungen'],
      ['/impressum', 'imprint', 'Impressum'],
      ['/datenschutz', 'privacy', 'Datenschutz'],
      ['/barrierefreiheit', 'accessibility', 'Barrierefreiheit'],
      ['/gibt-es-nicht', 'not-found', 'Diese Seite gibt es nicht'],
    ]) {
      await page.goto(`${portal.address}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await accessible(page, name);
    }
    // A wrong Prüfnummer is answered next to the form, and what was typed stays.
    await page.goto(`${portal.address}/kennwort-zuruecksetzen`);
    await tabTo(page, page.locator('#ik'));
    await page.keyboard.type('301412340');
    await tabTo(page, page.locator('#pruefnummer'));
    await page.keyboard.type('ABCD-EFGH-JK12');
    await tabTo(page, page.locator('#new-password'));
    await page.keyboard.type('Elbwiesen im Nebel 2026!');
    await page.keyboard.press('Enter');
    await page.getByText('IK oder Prüfnummer ist falsch.').waitFor();
    assert.equal(await page.locator('#ik').inputValue(), '301412340');
  } finally {
    portal.stop();
  }
});

test('the calculators recompute as you type and keep their inputs in the address', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${portal.address}/`);
    await tabTo(page, page.getByRole('link', { name: 'Pflegeleistungen berechnen' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Pflegeleistungen berechnen' }).waitFor();
    await tabTo(page, page.locator('#datum'));
    await page.locator('#datum').fill('2025-06-30');
    await tabTo(page, page.locator('#pflegegrad'));
    await page.keyboard.press('ArrowDown');
    await tabTo(page, page.locator('#sachleistung'));
    await page.keyboard.type('695,21');
    const table = page.locator('table.calc-result');
    await table.getByText('320,82 € (53,56 % des Pflegegeldes)').waitFor();
    assert.match(await table.innerText(), /Pflegegeld\s+599,00 € monatlich\s+§ 37 SGB XI/);
    assert.match(await table.innerText(), /Verhinderungspflege \(bis zu, mit Übertrag\)\s+2\.528,00 € jährlich\s+§ 39 SGB XI/);
    assert.match(page.url(), /datum=2025-06-30/);
    assert.match(page.url(), /pflegegrad=3/);
    await accessible(page, 'calc-care');
    await page.reload();
    await table.getByText('320,82 €', { exact: false }).first().waitFor();

    await page.goto(`${portal.address}/rechner/zuzahlung?jahr=2026&einkommen=40000&partner=ja&kinder=1`);
    await page.getByRole('heading', { level: 1, name: 'Zuzahlungen und Belastungsgrenze berechnen' }).waitFor();
    assert.match(await page.locator('table.calc-result').innerText(), /Belastungsgrenze im Jahr\s+462,50 €/);
    await tabTo(page, page.locator('#chronisch'));
    await page.keyboard.press('Space');
    await page.locator('table.calc-result').getByText('231,25 €').waitFor();
    await tabTo(page, page.locator('#preis'));
    await page.keyboard.type('73,45');
    await page.locator('#zuzahlung').getByText('7,35 €').waitFor();
    await accessible(page, 'calc-copay');
  } finally {
    portal.stop();
  }
});
