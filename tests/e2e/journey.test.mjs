// A provider's day in the app, with the keyboard only, at each demo insurer: register, read both
// letters, first login, own password, three queries, the printout, logout. Then the session's end
// and the English switch, and the list of insurers on the loopback address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, fetchInPage, http, launch, letters, mailFrom, screenshots, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';

/** The two insurers `portal serve --demo` serves (functions/portal/demo/tenants.toml), what their
 * portals show, and three people each: exempt this year, not exempt this year, not on record. */
const TENANTS = [
  {
    slug: 'plus',
    name: 'AOK PLUS (Demo)',
    primary: 'rgb(0, 94, 58)', // #005e3a
    secondary: 'rgb(0, 68, 42)', // #00442a
    contact: 'Servicetelefon: 0800 1059000',
    terms: 'Das Serviceportal steht Leistungserbringern mit einem gültigen Institutionskennzeichen (IK) kostenfrei zur Verfügung.',
    etherapiebericht: true,
    // The current year, and until 30 June the previous one too.
    years: (today) => (today.getMonth() < 6 ? [today.getFullYear(), today.getFullYear() - 1] : [today.getFullYear()]),
    rule: 'Anzeige des Vorjahres bis 30.06. des laufenden Jahres.',
    exempt: ['A121212122', 'Ö. Ç.'],
    notExempt: 'B234567895',
    unknown: 'C345678908',
  },
  {
    slug: 'bayern',
    name: 'AOK Bayern (Demo)',
    primary: 'rgb(31, 78, 121)', // #1f4e79
    secondary: 'rgb(22, 54, 90)', // #16365a
    contact: 'Servicetelefon: 0800 0000000 (Demo-Nummer)',
    terms: 'Die Online-Hintergrund-Abfrage zeigt den Zuzahlungsstatus des laufenden Jahres',
    etherapiebericht: false,
    years: (today) => [today.getFullYear()],
    rule: 'Angezeigt wird nur das laufende Jahr.',
    exempt: ['D456789013', 'J. H.'],
    // Exempt last year only: Bayern shows the current year, where she is not exempt.
    notExempt: 'F567890129',
    unknown: 'C345678908',
  },
];

const color = (locator, property) => locator.evaluate((element, property) => getComputedStyle(element)[property], property);

/** The page is the insurer's: its name and logo in the header, its colour on the header and on
 * the primary button, its name in the title, its contact in the footer. */
async function branded(page, tenant, button) {
  const header = page.getByRole('banner');
  await header.getByRole('link', { name: tenant.name, exact: true }).waitFor();
  assert.ok(await header.locator('img.logo').evaluate((img) => img.complete && img.naturalWidth > 0), 'the logo loads');
  assert.equal(await header.locator('img.logo').getAttribute('alt'), '', 'the name beside the logo says it');
  assert.equal(await color(header, 'backgroundColor'), tenant.primary, 'header');
  assert.equal(await color(button, 'backgroundColor'), tenant.primary, 'primary button');
  assert.ok((await page.title()).includes(tenant.name), await page.title());
  await page.getByRole('contentinfo').getByText(tenant.contact).waitFor();
}

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

/** The journey at one insurer, on a portal that serves both. */
async function journey(portal, tenant) {
  const address = portal.tenants[tenant.slug];
  const name = (step) => `${tenant.slug}-${step}`;
  const year = new Date().getFullYear();
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${address}/`);
    await page.getByRole('heading', { level: 1, name: 'Serviceportal für Leistungserbringer' }).waitFor();
    await branded(page, tenant, page.getByRole('link', { name: 'Anmelden', exact: true }));
    // Only the services this insurer offers.
    await page.getByRole('heading', { level: 2, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Leistungsrechner' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'elektronischer Therapiebericht' }).count(), tenant.etherapiebericht ? 1 : 0);
    await accessible(page, name('start'));

    await tabTo(page, page.getByRole('link', { name: 'Registrieren', exact: true }).first());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Registrieren' }).waitFor();
    await page.getByText(tenant.terms).waitFor();
    await accessible(page, name('register'));
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
    await accessible(page, name('registered'));

    const { password, pruefnummer } = await letters(portal.outbox, mailFrom(address));
    await tabTo(page, page.getByRole('link', { name: 'Zur Anmeldung' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
    await accessible(page, name('login'));
    await logIn(page, password);

    await page.getByRole('heading', { name: 'Eigenes Kennwort vergeben' }).waitFor();
    await page.getByText(/Ihre Sitzung läuft in 10 Minuten ab/).waitFor();
    // The session cookie is `__Host-` and Secure: Chromium keeps it on http://*.localhost, which
    // it counts as a secure context.
    assert.ok(await page.evaluate(() => window.isSecureContext), 'a secure context');
    const cookie = (await page.context().cookies(address)).find((c) => c.name === '__Host-session');
    assert.ok(cookie?.secure && cookie.httpOnly, JSON.stringify(cookie));
    assert.equal(cookie.domain, new URL(address).hostname);
    await accessible(page, name('set-password'));
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
    await page.getByText(`Das Ergebnis zeigt die Zuzahlungsbefreiung für ${tenant.years(new Date()).join(' und ')}.`).waitFor();
    assert.equal(await color(page.getByRole('button', { name: 'Suche' }), 'backgroundColor'), tenant.primary);
    await accessible(page, name('search'));
    await tabTo(page, page.locator('#kvnr'));
    await page.keyboard.type('A123456789');
    await page.getByText('Die Prüfziffer der Versicherungsnummer stimmt nicht.').waitFor();
    await page.locator('#kvnr').fill('');

    const [kvnr, initials] = tenant.exempt;
    await query(page, kvnr, 'insured_present');
    const exempt = page.locator('table');
    await exempt.waitFor();
    assert.equal(await exempt.locator('caption').innerText(), `${kvnr} - ${initials}`);
    assert.match(await exempt.innerText(), new RegExp(`${year}\\s+Ja`));
    // The years of the insurer's rule, and its words for them.
    assert.deepEqual(await exempt.locator('tbody th').allInnerTexts(), tenant.years(new Date()).map(String));
    await page.getByText(tenant.rule).waitFor();
    await accessible(page, name('result-exempt'));
    await page.emulateMedia({ media: 'print' });
    assert.match(await page.locator('.print-only').first().innerText(), /Abfrage-ID: [0-9A-Z]{26} · Abgefragt am/);
    // The signed proof (#17): as text and as a QR code, and it checks with the KVNR.
    const proofSection = page.getByRole('region', { name: 'Nachweis (signiert)' });
    await proofSection.waitFor();
    const proof = (await proofSection.locator('.proof-text').innerText()).trim();
    assert.match(proof, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS');
    const qr = proofSection.getByRole('img', { name: 'QR-Code des Nachweises' });
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code shows');
    assert.match(await proofSection.innerText(), new RegExp(`Prüfbar unter ${address}/nachweis`));
    const checked = await http(`${address}/api/proofs/verify`, { method: 'POST', json: { proof, kvnr } });
    assert.equal(checked.status, 200, checked.text);
    assert.equal(checked.json().genuine, true, checked.text);
    assert.equal(checked.json().in_audit_log, true, checked.text);
    await page.screenshot({ path: `${screenshots}/${name('print')}.png`, fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    await searchAgain(page);
    await query(page, tenant.notExempt, 'representative_present');
    await page.locator('table').waitFor();
    assert.match(await page.locator('table').innerText(), new RegExp(`${year}\\s+Nein`));
    assert.deepEqual(await page.locator('table tbody th').allInnerTexts(), tenant.years(new Date()).map(String));

    await searchAgain(page);
    await query(page, tenant.unknown, 'insured_present');
    await page.getByText('Die Suche ergab keinen Treffer.').waitFor();
    await page.getByText('Es liegt keine Zuzahlungsbefreiung vor.').waitFor();
    await accessible(page, name('result-none'));

    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await accessible(page, name('logged-out'));
  } finally {
    await page.context().close();
  }
}

// One portal serves both insurers; the same pharmacy registers at each in turn, and each gets its
// own letters from its own insurer.
describe('a provider registers, sets a password and queries with the keyboard only', () => {
  let portal;
  before(async () => { portal = await startPortal(); });
  after(() => portal?.stop());
  for (const tenant of TENANTS) {
    test(`at ${tenant.name}`, () => journey(portal, tenant));
  }
});

test('the loopback address lists the insurers and leads to each portal; an unknown host has none', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${portal.loopback}/`);
    await page.getByRole('heading', { level: 1, name: 'Serviceportale für Leistungserbringer' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/mandanten');
    for (const tenant of TENANTS) {
      assert.equal(await page.getByRole('link', { name: tenant.name }).getAttribute('href'), `${portal.tenants[tenant.slug]}/`);
    }
    await accessible(page, 'tenants');
    await tabTo(page, page.getByRole('link', { name: 'AOK Bayern (Demo)' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Serviceportal für Leistungserbringer' }).waitFor();
    assert.equal(new URL(page.url()).origin, portal.tenants.bayern);
    await branded(page, TENANTS[1], page.getByRole('link', { name: 'Anmelden', exact: true }));

    const unknown = await http(`${portal.loopback}/api/tenant`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().code, 'unknown_tenant');
    const known = await http(`${portal.tenants.bayern}/api/tenant`);
    assert.equal(known.json().name, 'AOK Bayern (Demo)');
  } finally {
    portal.stop();
  }
});

test('until the insurer is known the app shows nothing, and without it the neutral look', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  try {
    // Held back: nothing of the app shows, so no other insurer's colours flash by.
    const page = await context.newPage();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/api/tenant', async (route) => { await held; await route.continue(); });
    const asked = page.waitForRequest('**/api/tenant');
    await page.goto(`${portal.tenants.bayern}/`);
    await asked;
    await page.waitForTimeout(300);
    assert.equal(await page.locator('header, main').count(), 0, 'nothing before the insurer is known');
    release();
    await page.getByRole('heading', { level: 1, name: 'Serviceportal für Leistungserbringer' }).waitFor();
    await branded(page, TENANTS[1], page.getByRole('link', { name: 'Anmelden', exact: true }));

    // Failed: the neutral look, the portal's own words, and every service.
    const failed = await context.newPage();
    await failed.route('**/api/tenant', (route) => route.abort());
    await failed.goto(`${portal.tenants.bayern}/`);
    await failed.getByRole('heading', { level: 1, name: 'Serviceportal für Leistungserbringer' }).waitFor();
    const header = failed.getByRole('banner');
    assert.equal(await header.getByRole('link').first().innerText(), 'Serviceportal für Leistungserbringer');
    assert.equal(await color(header, 'backgroundColor'), 'rgb(61, 61, 61)');
    assert.equal(await failed.title(), 'Serviceportal für Leistungserbringer');
    await failed.getByRole('heading', { name: 'elektronischer Therapiebericht' }).waitFor();
    await accessible(failed, 'start-neutral');
  } finally {
    await context.close();
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
    const response = await fetchInPage(page, '/api/session');
    assert.equal(response.status, 401);
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
    const login = await fetchInPage(page, '/api/session', { ik: '301412340', password: NEW_PASSWORD });
    assert.equal(login.status, 200, 'the new password works');
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
      const wrong = await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: '301412340', password: 'geraten' } });
      assert.equal(wrong.status, 401);
    }
    const unchecked = await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: '301412340', password: OWN_PASSWORD } });
    assert.equal(unchecked.json().code, 'challenge_required');
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
    assert.equal(await page.title(), 'Service portal for providers – AOK PLUS (Demo)');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Service portal for providers' }).waitFor();
    assert.equal(await page.title(), 'Service portal for providers – AOK PLUS (Demo)');
    // The insurer's terms stay as it wrote them, marked as German for screen readers.
    await page.goto(`${portal.address}/nutzungsbedingungen`);
    await page.getByRole('heading', { level: 1, name: 'Terms of use' }).waitFor();
    assert.equal(await page.getByText(TENANTS[0].terms).getAttribute('lang'), 'de');
    await page.goto(`${portal.address}/`);
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
