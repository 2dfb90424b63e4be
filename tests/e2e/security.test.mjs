// The account's security page, a module of its own (#16): a provider enrols an authenticator app
// with the keyboard only, keeps the recovery codes, logs in through the code step, ends another
// session and revokes a machine API client. Where the insurer requires a second factor, the login
// leads to enrolment before anything else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessible, activeProvider, authenticator, http, launch, passwordStep, portalCli, sessionCookie, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const IK = '301412340';
const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';

/** Enrols the app on the security page: the code generator for the secret shown. */
async function enrol(page, name, { password } = {}) {
  await tabTo(page, page.getByRole('button', { name: 'Authenticator-App einrichten' }));
  await page.keyboard.press('Enter');
  const qr = page.getByRole('img', { name: 'QR-Code zum Einrichten der Authenticator-App' });
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith('data:image/svg+xml,')), 'the QR code shows');
  const code = authenticator((await page.locator('.secret').innerText()).trim());
  await accessible(page, `${name}-enrol`);
  await tabTo(page, page.locator('#factor-code'));
  await page.keyboard.type(code());
  if (password) {
    await tabTo(page, page.locator('#factor-password'));
    await page.keyboard.type(password);
  } else {
    assert.equal(await page.locator('#factor-password').count(), 0, 'no password right after the password step');
  }
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Ihre Wiederherstellungscodes' }).waitFor();
  assert.equal(await page.locator('.codes li').count(), 10);
  await page.getByRole('button', { name: 'Drucken' }).waitFor();
  const done = page.getByRole('button', { name: 'Fertig' });
  assert.ok(await done.isDisabled(), 'not before the codes are kept');
  await accessible(page, `${name}-codes`);
  await tabTo(page, page.getByLabel('Ich habe die Codes sicher aufbewahrt'));
  await page.keyboard.press('Space');
  await tabTo(page, done);
  await page.keyboard.press('Enter');
  await page.getByText('Die Authenticator-App ist eingerichtet.', { exact: false }).waitFor();
  return code;
}

test('a provider enrols an authenticator app, logs in with its code, ends another session and revokes a client', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    // The back office registers the provider's software.
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = join(mkdtempSync(join(tmpdir(), 'portal-e2e-jwks-')), 'jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'praxis-key-1', alg: 'ES256', use: 'sig' }] }));
    const { client_id: clientId } = JSON.parse(portalCli(portal, ['clients', 'add', IK, '--tenant', 'plus', '--jwks', jwks, '--json']));

    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    await page.goto(`${portal.address}/`);
    await tabTo(page, page.getByRole('link', { name: /^Sicherheit Ihres Zugangs/ }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Sicherheit' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/konto/sicherheit');
    const clients = page.getByRole('region', { name: 'Programme an der Maschinen-Schnittstelle' });
    await clients.locator("code", { hasText: clientId }).waitFor();
    await clients.getByText('praxis-key-1').waitFor();
    await accessible(page, 'security');

    const code = await enrol(page, 'security', { password: OWN_PASSWORD });

    // Out, and in again through the code step.
    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    await tabTo(page, page.getByLabel('Bestätigungscode aus Ihrer Authenticator-App'));
    await page.keyboard.type(code());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();

    // A second login elsewhere (Firefox, from another machine): two sessions; this one ends it.
    const post = (path, json, headers) => http(`${portal.address}${path}`, { method: 'POST', json, headers: { 'user-agent': FIREFOX, ...headers } });
    const elsewhere = await post('/api/session', { ik: IK, password: OWN_PASSWORD });
    assert.equal(elsewhere.json().second_factor_required, true, elsewhere.text);
    const second = await post('/api/session/second-factor', { code: code() }, { cookie: sessionCookie(elsewhere) });
    assert.equal(second.status, 200, second.text);
    const otherCookie = sessionCookie(second);
    await page.goto(`${portal.address}/konto/sicherheit`);
    const sessions = page.getByRole('region', { name: 'Sitzungen' });
    await sessions.getByText('dieses Gerät').waitFor();
    await sessions.getByText('Firefox').first().waitFor();
    assert.equal(await sessions.locator('li').count(), 2);
    await accessible(page, 'security-sessions');
    await tabTo(page, sessions.getByRole('button', { name: /^Abmelden – Firefox/ }));
    await page.keyboard.press('Enter');
    await sessions.getByRole('button', { name: /^Abmelden – Firefox/ }).waitFor({ state: 'detached' });
    assert.equal(await sessions.locator('li').count(), 1);
    assert.equal((await http(`${portal.address}/api/session`, { headers: { cookie: otherCookie } })).status, 401, 'the other session ended');

    // The client revoked, after a confirmation.
    page.once('dialog', (dialog) => dialog.accept());
    await tabTo(page, clients.getByRole('button', { name: `Widerrufen – ${clientId}` }));
    await page.keyboard.press('Enter');
    await clients.getByText('widerrufen am', { exact: false }).waitFor();
    assert.equal(await clients.getByRole('button', { name: /^Widerrufen/ }).count(), 0);
  } finally {
    await context.close();
    portal.stop();
  }
});

test('where the insurer requires a second factor, the login leads to enrolment first', async () => {
  const portal = await startPortal({}, {
    tenantsFile: (text) => text.replace('second_factor_required = false', 'second_factor_required = true'),
  });
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Sicherheit' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/konto/sicherheit');
    await page.getByText('Ihre Krankenkasse verlangt eine Anmeldung mit zweitem Faktor.', { exact: false }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Sitzungen' }).count(), 0, 'nothing else before the enrolment');
    await accessible(page, 'security-required');
    await enrol(page, 'security-required');
    // Enrolled: the rest of the page, and the services.
    await page.getByRole('region', { name: 'Sitzungen' }).getByText('dieses Gerät').waitFor();
    await page.goto(`${portal.address}/oha`);
    await page.locator('#kvnr').waitFor();
  } finally {
    portal.stop();
  }
});
