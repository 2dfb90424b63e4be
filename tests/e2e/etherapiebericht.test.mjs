// The eTherapiebericht in the app, with the keyboard: the demo's speech therapy practice at AOK
// PLUS writes a report to a physician found by name, saves it, finds it again after a reload,
// previews its PDF and sends it. The local KIM stand-in writes the message into
// `<outbox>/etb/`; the test answers it as the physician's mail server (a DSN: delivered) and
// practice system (an MDN: read) would, and the list follows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessible, activeProvider, fetchInPage, launch, startPortal, tabTo } from './portal.mjs';

const PRACTICE_IK = '401612342'; // Logopädie Sprachraum Erfurt, Berufsfeld heilmittel
const PASSWORD = 'Stimme und Sprache 2026!';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Tabs to `locator`: the form is long, so more steps than elsewhere. */
const reach = (page, locator) => tabTo(page, locator, 150);

/** `YYYY-MM-DD`, `days` before today (local time, as the date inputs take it). */
function daysAgo(days) {
  const d = new Date();
  d.setDate(d.getDate() - days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Tabs to the control and types into it. */
async function type(page, selector, text) {
  await reach(page, page.locator(selector));
  await page.keyboard.type(text);
}

/** Tabs to a choice and picks an option with the keyboard (Home, then the arrow key until its text shows). */
async function choose(page, selector, label) {
  const select = page.locator(selector);
  await reach(page, select);
  await page.keyboard.press('Home');
  for (let i = 0; i < 8; i++) {
    const shown = await select.evaluate((s) => s.options[s.selectedIndex]?.text);
    if (shown === label) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`${label} not reachable in ${selector}`);
}

/** No horizontal scrolling at phone width. */
async function fitsPhone(page, name) {
  await page.setViewportSize({ width: 360, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways at 360 px by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Reloads the list until the report shows `status` (the dispatcher polls every 2 s). */
async function listShows(page, status) {
  for (let i = 0; i < 40; i++) {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Therapieberichte' }).waitFor();
    await page.locator('.report').first().waitFor();
    if (await page.locator('.report .status', { hasText: status }).count()) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`the list never showed "${status}": ${await page.locator('main').innerText()}`);
}

/** The report's message in the KIM stand-in's folder, once the dispatcher wrote it. */
async function message(outbox) {
  const folder = join(outbox, 'etb');
  for (let i = 0; i < 100; i++) {
    const files = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.eml')) : [];
    if (files.length) return { file: join(folder, files[0]), text: readFileSync(join(folder, files[0]), 'utf8') };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no message in ${folder}`);
}

/** Drops a receipt the way the KIM stand-in reads them: written hidden, then renamed. */
function drop(outbox, name, lines) {
  const inbox = join(outbox, 'etb', 'in');
  mkdirSync(inbox, { recursive: true });
  writeFileSync(join(inbox, `.${name}`), lines.join('\r\n'));
  renameSync(join(inbox, `.${name}`), join(inbox, name));
}

const BOUNDARY = 'receipt-boundary';

/** A delivery status notification of the physician's mail server: delivered. */
function dsnDelivered(messageId, recipient) {
  return [
    'From: <mailer-daemon@kim.invalid>',
    `Date: ${new Date().toUTCString()}`,
    'Subject: Delivery Status Notification (Success)',
    `Message-ID: <dsn.${Date.now()}@kim.invalid>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${BOUNDARY}"`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your message was delivered.',
    `--${BOUNDARY}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; kim.invalid',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: delivered',
    'Status: 2.0.0',
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${messageId}`,
    '',
    `--${BOUNDARY}--`,
    '',
  ];
}

/** A delivery status notification of the physician's mail server: failed for good. */
function dsnFailed(messageId, recipient) {
  return dsnDelivered(messageId, recipient)
    .map((line) => (line === 'Action: delivered' ? 'Action: failed' : line === 'Status: 2.0.0' ? 'Status: 5.1.1' : line))
    .map((line) => line.replace('(Success)', '(Failure)').replace('Your message was delivered.', 'Your message could not be delivered.'));
}

/** A read receipt (MDN, RFC 8098) of the physician's practice system: displayed. */
function mdnRead(messageId, recipient) {
  return [
    `From: <${recipient}>`,
    `Date: ${new Date().toUTCString()}`,
    'Subject: Lesebestaetigung',
    `Message-ID: <mdn.${Date.now()}@receipt.invalid>`,
    `In-Reply-To: ${messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=disposition-notification; boundary="${BOUNDARY}"`,
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The message was displayed.',
    `--${BOUNDARY}`,
    'Content-Type: message/disposition-notification',
    '',
    'Reporting-UA: practice-system; demo',
    `Final-Recipient: rfc822; ${recipient}`,
    `Original-Message-ID: ${messageId}`,
    'Disposition: manual-action/MDN-sent-manually; displayed',
    '',
    `--${BOUNDARY}--`,
    '',
  ];
}

test('a therapy practice writes, saves, previews and sends an eTherapiebericht, and sees it delivered and read', async () => {
  const started = Date.now();
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await activeProvider(portal, PASSWORD, portal.address, PRACTICE_IK);
    await page.goto(`${portal.address}/anmelden`);
    await type(page, '#ik', PRACTICE_IK);
    await type(page, '#password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();

    // The start page's tile leads to the list.
    await reach(page, page.getByRole('link', { name: 'AOK PLUS (Demo)' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'elektronischer Therapiebericht' }).waitFor();
    await reach(page, page.getByRole('link', { name: 'eTherapiebericht', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Therapieberichte' }).waitFor();
    await page.getByText('Noch keine Therapieberichte.').waitFor();
    await accessible(page, 'etb-list-empty');

    await reach(page, page.getByRole('link', { name: 'Neuer Therapiebericht' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Neuer Therapiebericht' }).waitFor();
    // The practice's stamp, from the directory, not typed.
    await page.locator('.stamp', { hasText: 'Logopädie Sprachraum Erfurt' }).waitFor();
    assert.match(await page.locator('.stamp').innerText(), /Anger 12\s+99084 Erfurt\s+IK 401612342/);

    // Sending the empty form marks every field and moves the focus to the first at fault.
    await reach(page, page.getByRole('button', { name: 'Senden' }));
    await page.keyboard.press('Enter');
    await page.getByText('Bitte prüfen Sie die markierten Felder.').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'area', null, { timeout: 2000 });
    assert.equal(await page.locator('#area').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#area').getAttribute('aria-describedby'), /area-error/);
    assert.equal(await page.locator('#area-error').innerText(), 'Bitte füllen Sie dieses Feld aus.');
    assert.equal(await page.locator('#physician-error').innerText(), 'Bitte wählen Sie die Ärztin oder den Arzt, an die der Bericht geht.');
    await accessible(page, 'etb-form-errors');
    await fitsPhone(page, 'the form with its errors');

    await choose(page, '#area', 'Stimm-, Sprech-, Sprach- und Schlucktherapie');
    await choose(page, '#kind', 'Verordnungsbericht');
    // The speech-only block shows for the Verordnungsbericht.
    await page.getByRole('group', { name: 'Angaben zum Verordnungsbericht' }).waitFor();
    await choose(page, '#kind', 'Therapiebericht');
    assert.equal(await page.getByRole('group', { name: 'Angaben zum Verordnungsbericht' }).count(), 0);

    // A physician without eArztbrief is marked; the one chosen is found by name, by keyboard.
    await type(page, '#physician', 'Vogel');
    await page.getByRole('option', { name: /Dr\. Katrin Vogel.*empfängt keine eArztbriefe/ }).waitFor();
    await page.locator('#physician').fill('');
    await page.keyboard.type('Schulz');
    await page.getByRole('option', { name: /Dr\. med\. Anna Schulz/ }).waitFor();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#physician').getAttribute('aria-activedescendant'), 'physician-option-0');
    await page.keyboard.press('Enter');
    await page.locator('#physician-chosen', { hasText: 'Dr. med. Anna Schulz · LANR 123456601 · BSNR 781234500' }).waitFor();
    assert.equal(await page.locator('#physician-error').innerText(), '');

    await type(page, '#patient-first_name', 'Mila');
    await type(page, '#patient-last_name', 'Sommer');
    await reach(page, page.locator('#patient-birth_date'));
    await page.locator('#patient-birth_date').fill('2019-03-08');
    // Checked as typed, with the domain's rule, once the field is left.
    await type(page, '#patient-kvnr', 'A123456789');
    await page.keyboard.press('Tab');
    await page.getByText('Die Prüfziffer der Versicherungsnummer stimmt nicht.').waitFor();
    await page.locator('#patient-kvnr').fill('A123456780');
    assert.equal(await page.locator('#patient-kvnr-error').innerText(), '');
    await type(page, '#patient-insurer_ik', '107299005');
    await reach(page, page.locator('#prescription-date'));
    await page.locator('#prescription-date').fill(daysAgo(60));
    await type(page, '#prescription-lanr', '123456601');
    await type(page, '#prescription-bsnr', '781234500');
    await type(page, '#prescription-diagnosis_group', 'SP1');
    await type(page, '#prescription-icd10-0', 'F80.1');
    await type(page, '#prescription-remedies-0-name', 'Sprech- und Sprachtherapie 45 min');
    await type(page, '#prescription-remedies-0-units', '10');
    await reach(page, page.locator('#treatment-first_date'));
    await page.locator('#treatment-first_date').fill(daysAgo(50));
    await reach(page, page.locator('#treatment-last_date'));
    await page.locator('#treatment-last_date').fill(daysAgo(3));
    await type(page, '#treatment-units_done', '10');
    const findings = 'Phonologische Störung mit Vorverlagerung /k/ → /t/ und /g/ → /d/; Wortschatz altersgemäß.';
    await type(page, '#findings', findings);
    await page.locator('#findings-count', { hasText: `${findings.length} / 4.000` }).waitFor();
    await type(page, '#goals', 'Korrekte Bildung der velaren Laute in der Spontansprache.');
    await type(page, '#measures', 'Minimalpaartherapie, Hörtraining, Elternanleitung.');
    await type(page, '#course', 'Velare Laute auf Wortebene sicher, in der Spontansprache noch wechselnd.');
    await choose(page, '#recommendation-kind', 'Weiterbehandlung');
    await type(page, '#recommendation-text', 'Weitere 10 Einheiten zur Festigung in der Spontansprache.');
    assert.equal(await page.locator('.report-form [aria-invalid="true"]').count(), 0, 'no field at fault');

    // Saved as a draft: the address names it from then on.
    await reach(page, page.getByRole('button', { name: 'Als Entwurf speichern' }));
    await page.keyboard.press('Enter');
    await page.getByText('Der Entwurf ist gespeichert.').waitFor();
    const id = new URL(page.url()).searchParams.get('id');
    assert.ok(id, page.url());
    await page.getByRole('heading', { level: 1, name: 'Therapiebericht bearbeiten' }).waitFor();
    await accessible(page, 'etb-form');
    await fitsPhone(page, 'the form');

    // In the list as a draft; after a reload it opens again with everything typed.
    await reach(page, page.getByRole('link', { name: 'Zur Übersicht' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Entwürfe' }).waitFor();
    await page.reload();
    const draft = page.locator('.report', { hasText: 'Mila Sommer' });
    await draft.getByText('Entwurf').waitFor();
    assert.match(await draft.innerText(), /Therapiebericht/);
    assert.match(await draft.innerText(), /Dr\. med\. Anna Schulz/);
    await reach(page, draft.getByRole('link', { name: /Bearbeiten/ }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Therapiebericht bearbeiten' }).waitFor();
    await page.locator('#physician-chosen', { hasText: 'Dr. med. Anna Schulz' }).waitFor();
    assert.equal(await page.locator('#patient-last_name').inputValue(), 'Sommer');
    assert.equal(await page.locator('#prescription-icd10-0').inputValue(), 'F80.1');
    assert.equal(await page.locator('#prescription-remedies-0-units').inputValue(), '10');
    assert.equal(await page.locator('#findings').inputValue(), findings);
    assert.equal(await page.locator('#area').inputValue(), 'logo');
    assert.equal(await page.locator('#recommendation-kind').inputValue(), 'continue');

    // The preview is the PDF itself, in a tab of its own.
    const pdf = page.waitForResponse((r) => r.url().endsWith(`/api/therapy-reports/${id}/pdf`));
    const tab = context.waitForEvent('page', { timeout: 10_000 }).catch(() => null);
    await reach(page, page.getByRole('button', { name: 'Vorschau' }));
    await page.keyboard.press('Enter');
    const response = await pdf;
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^application\/pdf/);
    const document = await fetchInPage(page, `/api/therapy-reports/${id}/pdf`);
    assert.ok(String(document.body).startsWith('%PDF-'), 'a PDF');
    await (await tab)?.close();
    await page.getByRole('link', { name: 'Vorschau öffnen (PDF)' }).waitFor();

    // Sent with a key of its own; the list shows it waiting or sent.
    const sent = page.waitForRequest((r) => r.url().endsWith(`/api/therapy-reports/${id}/send`));
    await reach(page, page.getByRole('button', { name: 'Senden' }));
    await page.keyboard.press('Enter');
    assert.match((await sent).headers()['idempotency-key'] ?? '', /^[0-9a-f-]{36}$/);
    await page.getByRole('heading', { level: 1, name: 'Therapieberichte' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Gesendet' }).waitFor();
    await page.locator('.report .status', { hasText: /in Warteschlange|versandt/ }).waitFor();

    // The message as the KIM client module gets it.
    const { text } = await message(portal.outbox);
    const messageId = text.match(/^Message-ID:\s*(<[^>]+>)/mi)?.[1];
    assert.ok(messageId, 'the message has a Message-ID');
    assert.match(text, /praxis\.schulz@hno-erfurt\.kim\.telematik/);
    await listShows(page, 'versandt');

    drop(portal.outbox, 'dsn-delivered.eml', dsnDelivered(messageId, 'praxis.schulz@hno-erfurt.kim.telematik'));
    await listShows(page, 'zugestellt');
    drop(portal.outbox, 'mdn-read.eml', mdnRead(messageId, 'praxis.schulz@hno-erfurt.kim.telematik'));
    await listShows(page, 'gelesen');
    assert.equal(await page.locator('.report', { hasText: 'Mila Sommer' }).getByRole('link', { name: /Bearbeiten/ }).count(), 0, 'a sent report is no draft');
    await accessible(page, 'etb-list');
    await fitsPhone(page, 'the list');

    // A draft started and thrown away again, after a confirmation.
    await reach(page, page.getByRole('link', { name: 'Neuer Therapiebericht' }));
    await page.keyboard.press('Enter');
    await type(page, '#patient-last_name', 'Verworfen');
    await reach(page, page.getByRole('button', { name: 'Als Entwurf speichern' }));
    await page.keyboard.press('Enter');
    await page.getByText('Der Entwurf ist gespeichert.').waitFor();
    page.once('dialog', (dialog) => {
      assert.equal(dialog.message(), 'Diesen Entwurf endgültig löschen?');
      dialog.accept();
    });
    await reach(page, page.getByRole('button', { name: 'Löschen' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Therapieberichte' }).waitFor();
    await page.locator('.report', { hasText: 'Mila Sommer' }).waitFor();
    assert.equal(await page.locator('.report', { hasText: 'Verworfen' }).count(), 0, 'the draft is gone');
    console.log(`eTherapiebericht journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await context.close();
    portal.stop();
  }
});

// The two pages are a wasm module of their own, loaded only on them: the rest of the app never
// fetches it, and moving between them and the app's other pages works every way.
test('the eTherapiebericht module loads only on its pages, and navigation works both ways', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  const modules = [];
  page.on('request', (request) => { if (new URL(request.url()).pathname.startsWith('/etb/')) modules.push(request.url()); });
  const listHeading = page.getByRole('heading', { level: 1, name: 'Therapieberichte' });
  const formHeading = page.getByRole('heading', { level: 1, name: 'Neuer Therapiebericht' });
  try {
    await activeProvider(portal, PASSWORD, portal.address, PRACTICE_IK);
    await page.goto(`${portal.address}/anmelden`);
    await type(page, '#ik', PRACTICE_IK);
    await type(page, '#password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();
    await reach(page, page.getByRole('link', { name: 'AOK PLUS (Demo)' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'elektronischer Therapiebericht' }).waitFor();
    assert.deepEqual(modules, [], 'no page but the two loads the module');

    // In by the app's link, on by the module's own links, out to the app's pages, then back and
    // forward through all of them. (Not a link right after back and forward: leptos_router
    // 0.8.17 then may not push the address, with or without the module.)
    await reach(page, page.getByRole('link', { name: 'eTherapiebericht', exact: true }));
    await page.keyboard.press('Enter');
    await listHeading.waitFor();
    await reach(page, page.getByRole('link', { name: 'Neuer Therapiebericht' }));
    await page.keyboard.press('Enter');
    await formHeading.waitFor();
    assert.equal(new URL(page.url()).pathname, '/therapiebericht');
    await reach(page, page.getByRole('link', { name: 'Zur Übersicht' }));
    await page.keyboard.press('Enter');
    await listHeading.waitFor();
    await reach(page, page.getByRole('link', { name: 'Impressum' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Impressum' }).waitFor();
    assert.equal(await listHeading.count(), 0, 'the list is gone');
    await page.goBack();
    await listHeading.waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1, 'one page at a time');
    await page.goBack();
    await formHeading.waitFor();
    await page.goForward();
    await listHeading.waitFor();
    await page.goForward();
    await page.getByRole('heading', { level: 1, name: 'Impressum' }).waitFor();
    assert.equal(await listHeading.count(), 0, 'the list is gone');

    // A reload on either page; the language switched in the header reaches the module.
    await page.goto(`${portal.address}/therapieberichte`);
    await listHeading.waitFor();
    await page.reload();
    await listHeading.waitFor();
    await page.goto(`${portal.address}/therapiebericht`);
    await formHeading.waitFor();
    await page.reload();
    await formHeading.waitFor();
    await reach(page, page.getByRole('button', { name: 'Sprache wechseln: English' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'New therapy report' }).waitFor();
    await reach(page, page.getByRole('button', { name: 'Switch language: Deutsch' }));
    await page.keyboard.press('Enter');
    await formHeading.waitFor();
    await accessible(page, 'etb-form-module');

    // A module that does not come: a clear message, no blank page.
    const offline = await browser.newContext();
    const fresh = await offline.newPage();
    await fresh.route('**/etb/*', (route) => route.abort());
    await fresh.goto(`${portal.address}/therapieberichte`);
    await fresh.getByRole('alert').getByText('Dieser Teil des Portals konnte nicht geladen werden.', { exact: false }).waitFor();
    await accessible(fresh, 'etb-module-failed');
    await offline.close();
  } finally {
    await context.close();
    portal.stop();
  }
});

// Issue #15: a report whose message the physician's server refused shows why, and is sent again
// under a new key with one button.
test('a failed report shows why and is sent again', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await activeProvider(portal, PASSWORD, portal.address, PRACTICE_IK);
    await page.goto(`${portal.address}/anmelden`);
    await type(page, '#ik', PRACTICE_IK);
    await type(page, '#password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();
    // A complete report to Dr. Schulz, written and sent over the API.
    const report = {
      kind: 'therapiebericht',
      area: 'logo',
      patient: { first_name: 'Paul', last_name: 'Abgelehnt', birth_date: '2019-02-11', kvnr: 'A123456780', insurer_ik: '107299005' },
      prescription: { date: daysAgo(60), lanr: '123456601', bsnr: '781234500', diagnosis_group: 'SP1', icd10: ['F80.1 G'], remedies: [{ name: 'Sprachtherapie 45 Minuten', units: 10 }] },
      treatment: { first_date: daysAgo(50), last_date: daysAgo(5), units_done: 10 },
      findings: 'Phonologische Störung.',
      goals: 'Korrekte Bildung von /k/.',
      measures: 'Minimalpaartherapie.',
      course: 'Fortschritte.',
      recommendation: { kind: 'continue', text: '' },
      physician: { lanr: '123456601', bsnr: '781234500' },
    };
    const created = await fetchInPage(page, '/api/therapy-reports', report);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const firstKey = 'erster-versand';
    const sentFirst = await page.evaluate(async ([id, key]) => (await fetch(`/api/therapy-reports/${id}/send`, { method: 'POST', headers: { 'idempotency-key': key } })).status, [id, firstKey]);
    assert.equal(sentFirst, 202);
    const { file, text } = await message(portal.outbox);
    const messageId = text.match(/^Message-ID:\s*(<[^>]+>)/mi)?.[1];
    assert.ok(messageId, 'the message has a Message-ID');
    rmSync(file);
    drop(portal.outbox, 'dsn-failed.eml', dsnFailed(messageId, 'praxis.schulz@hno-erfurt.kim.telematik'));

    await page.goto(`${portal.address}/therapieberichte`);
    await listShows(page, 'fehlgeschlagen');
    const item = page.locator('.report', { hasText: 'Paul Abgelehnt' });
    assert.notEqual((await item.locator('p.error').first().innerText()).trim(), '', 'the failure says why');
    await accessible(page, 'etb-failed');
    const again = page.waitForRequest((r) => r.url().endsWith(`/api/therapy-reports/${id}/send`));
    await reach(page, item.getByRole('button', { name: 'Erneut senden – Paul Abgelehnt' }));
    await page.keyboard.press('Enter');
    const key = (await again).headers()['idempotency-key'] ?? '';
    assert.match(key, /^[0-9a-f-]{36}$/);
    assert.notEqual(key, firstKey, 'a new key');
    await item.locator('.status', { hasText: /in Warteschlange|versandt/ }).waitFor();
    assert.equal(await item.getByRole('button', { name: /Erneut senden/ }).isHidden(), true);
    await message(portal.outbox);
    await listShows(page, 'versandt');
  } finally {
    await context.close();
    portal.stop();
  }
});

/** A small PDF written by hand: `pages` pages of Helvetica text, with a correct xref table. */
function handWrittenPdf(pages) {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pages} /Kids [${Array.from({ length: pages }, (_, i) => `${4 + 2 * i} 0 R`).join(' ')}] >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  for (let i = 0; i < pages; i++) {
    const content = `BT /F1 24 Tf 72 720 Td (Eigener Bericht Seite ${i + 1}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  let pdf = '%PDF-1.7\n';
  const offsets = objects.map((object, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Opens the focused file input with the keyboard and picks `file` in the browser's chooser. */
async function pickFile(page, file) {
  await reach(page, page.locator('#attachment'));
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Space');
  await (await chooser).setFiles(file);
}

/**
 * Picks `file` for the input that already had a file chosen by keyboard: headless Chromium does
 * not always open a second chooser from the same input's key press (the CI run timed out
 * waiting for it), so later files are set on the input directly; its change event is the same.
 */
async function pickAgain(page, file) {
  await page.locator('#attachment').setInputFiles(file);
}

test('a practice uploads its own PDF instead of the texts, previews and sends it; a file that is no PDF shows why', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await activeProvider(portal, PASSWORD, portal.address, PRACTICE_IK);
    await page.goto(`${portal.address}/anmelden`);
    await type(page, '#ik', PRACTICE_IK);
    await type(page, '#password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText(/Ihre Sitzung läuft in \d+ Minuten ab/).first().waitFor();
    // The header of a report, its texts left empty: the practice's own PDF carries them.
    const report = {
      kind: 'therapiebericht',
      area: 'logo',
      patient: { first_name: 'Ida', last_name: 'Eigenpdf', birth_date: '2018-05-03', kvnr: 'A123456780', insurer_ik: '107299005' },
      prescription: { date: daysAgo(60), lanr: '123456601', bsnr: '781234500', diagnosis_group: 'SP1', icd10: ['F80.1 G'], remedies: [{ name: 'Sprachtherapie 45 Minuten', units: 10 }] },
      treatment: { first_date: daysAgo(50), last_date: daysAgo(5), units_done: 10 },
      recommendation: { kind: 'continue', text: '' },
      physician: { lanr: '123456601', bsnr: '781234500' },
    };
    const created = await fetchInPage(page, '/api/therapy-reports', report);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.goto(`${portal.address}/therapiebericht?id=${created.body.id}`);
    await page.getByRole('heading', { level: 1, name: 'Therapiebericht bearbeiten' }).waitFor();
    await page.getByRole('group', { name: 'Eigenes PDF hochladen' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#patient-last_name')?.value === 'Eigenpdf');

    // A file that is no PDF: the API's reason, in German, at the field, which gets the focus.
    await pickFile(page, { name: 'notiz.pdf', mimeType: 'application/pdf', buffer: Buffer.from('Nur eine Notiz, kein PDF.') });
    await page.locator('#attachment-error', { hasText: 'Die Datei ist keine lesbare PDF-Datei.' }).waitFor();
    assert.equal(await page.locator('#attachment').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#attachment').getAttribute('aria-describedby'), /attachment-error/);
    await page.waitForFunction(() => document.activeElement?.id === 'attachment', null, { timeout: 2000 });
    await accessible(page, 'etb-own-pdf-invalid');

    // The PDF: its name, size and pages show; the error goes.
    const pdf = handWrittenPdf(2);
    await pickAgain(page, { name: 'Bericht Ida.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.locator('.attachment-name', { hasText: 'Bericht Ida.pdf' }).waitFor();
    assert.match(await page.locator('.attachment-name').innerText(), /Bericht Ida\.pdf \(\d+,\d KB, 2 Seiten\)/);
    assert.equal((await page.locator('#attachment-error').innerText()).trim(), '');
    await page.getByRole('button', { name: 'PDF ersetzen' }).waitFor();
    await page.getByRole('button', { name: 'PDF entfernen' }).waitFor();
    await accessible(page, 'etb-own-pdf');
    await fitsPhone(page, 'the form with its own PDF');

    // Removed and uploaded again, by keyboard.
    await reach(page, page.getByRole('button', { name: 'PDF entfernen' }));
    await page.keyboard.press('Enter');
    await page.locator('.attachment-name').waitFor({ state: 'hidden' });
    assert.equal((await fetchInPage(page, `/api/therapy-reports/${created.body.id}`)).body.attachment, undefined);
    await pickAgain(page, { name: 'Bericht Ida.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.locator('.attachment-name', { hasText: '2 Seiten' }).waitFor();

    // The preview: the cover, then the practice's two pages.
    const previewed = page.waitForResponse((r) => r.url().endsWith('/pdf'));
    const popup = context.waitForEvent('page');
    await reach(page, page.getByRole('button', { name: 'Vorschau' }));
    await page.keyboard.press('Enter');
    const preview = await previewed;
    assert.equal(preview.status(), 200);
    assert.equal(preview.headers()['content-type'], 'application/pdf');
    await (await popup).close();

    // Sent: the message carries the practice's PDF as it came.
    await reach(page, page.getByRole('button', { name: 'Senden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Therapieberichte' }).waitFor();
    const { text } = await message(portal.outbox);
    assert.match(text, /Content-Description: Praxisbericht-PDF/);
    assert.ok(text.includes(pdf.toString('base64').slice(0, 60)), 'the own PDF as uploaded');
    await listShows(page, 'versandt');
  } finally {
    await context.close();
    portal.stop();
  }
});
