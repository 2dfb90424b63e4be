// Passkeys as the second factor (#16): a provider makes a passkey on the security page with the
// keyboard only, logs in with it, changes the password with it and removes it. The browser's
// authenticator is Chromium's virtual one (DevTools' WebAuthn domain): a platform authenticator
// that verifies the user, as a fingerprint reader or a device PIN does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, changePassword, launch, passwordStep, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';
const NEW_PASSWORD = 'Sandsteinfelsen am Fluss 7';

/** The page's virtual authenticator and what it holds. */
async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
}

test('a provider makes a passkey, logs in with it, changes the password with it and removes it', async () => {
  const portal = await startPortal();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const credentials = await virtualAuthenticator(context, page);
    await activeProvider(portal, OWN_PASSWORD);
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    await page.goto(`${portal.address}/konto/sicherheit`);
    await page.getByRole('heading', { level: 1, name: 'Sicherheit' }).waitFor();

    // The passkey: the password, then the browser makes it; the recovery codes as for an app.
    await tabTo(page, page.getByRole('button', { name: 'Passkey einrichten' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.locator('#factor-password'));
    assert.equal(await page.locator('#factor-code').count(), 0, 'no code for a passkey');
    await accessible(page, 'passkey-enrol');
    await page.keyboard.type(OWN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ihre Wiederherstellungscodes' }).waitFor();
    assert.equal(await page.locator('.codes li').count(), 10);
    const made = await credentials();
    assert.equal(made.length, 1, 'the authenticator holds the passkey');
    assert.equal(made[0].rpId, new URL(portal.address).hostname);
    await tabTo(page, page.getByLabel('Ich habe die Codes sicher aufbewahrt'));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByRole('button', { name: 'Fertig' }));
    await page.keyboard.press('Enter');
    await page.getByText('Der Passkey ist eingerichtet.', { exact: false }).waitFor();
    await page.getByText('Ein Passkey ist eingerichtet: Die Anmeldung fragt nach ihm.').waitFor();

    // Out, and in again: the second step is the passkey.
    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    await page.getByText('Bestätigen Sie die Anmeldung mit Ihrem Passkey.', { exact: false }).waitFor();
    assert.equal(await page.locator('#code').count(), 0, 'no code field');
    await accessible(page, 'passkey-login');
    await tabTo(page, page.getByRole('button', { name: 'Anmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    assert.ok((await credentials())[0].signCount >= 2, 'the passkey signed');

    // The password change asks the passkey too.
    await changePassword(page, portal.address, OWN_PASSWORD, NEW_PASSWORD);

    // Removal: the new password, then the passkey.
    await page.goto(`${portal.address}/konto/sicherheit`);
    await tabTo(page, page.getByRole('button', { name: 'Passkey entfernen' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.locator('#factor-password'));
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText('Der Passkey ist entfernt.').waitFor();
    await page.getByText('Es ist kein zweiter Faktor eingerichtet', { exact: false }).waitFor();
  } finally {
    await context.close();
    portal.stop();
  }
});
