// The login's code step (#16): a provider with an authenticator app logs in with the app's code
// or a recovery code, with the keyboard only, and changes the password with a code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, authenticator, http, launch, passwordStep, sessionCookie, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const IK = '301412340';
const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';
const NEW_PASSWORD = 'Sandsteinfelsen am Fluss 7';

/** Enrols an authenticator app over the API: its code generator and the recovery codes. */
async function enrolOverApi(portal, password) {
  const post = (path, json, cookie) => http(`${portal.address}${path}`, { method: 'POST', json, headers: cookie ? { cookie } : {} });
  const login = await post('/api/session', { ik: IK, password });
  assert.equal(login.status, 200, login.text);
  const cookie = sessionCookie(login);
  const enrolment = await post('/api/second-factor/totp', undefined, cookie);
  assert.equal(enrolment.status, 200, enrolment.text);
  const code = authenticator(enrolment.json().secret);
  const confirmed = await post('/api/second-factor/totp/confirm', { code: code(), password }, cookie);
  assert.equal(confirmed.status, 200, confirmed.text);
  const { recovery_codes } = confirmed.json();
  assert.equal(recovery_codes.length, 10);
  return { code, recovery: recovery_codes };
}

test('a provider with an authenticator app logs in with its code or a recovery code, and changes the password with a code', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    const { code, recovery } = await enrolOverApi(portal, OWN_PASSWORD);

    // The password is right: the code step, not yet logged in.
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, OWN_PASSWORD);
    const field = page.getByLabel('Bestätigungscode aus Ihrer Authenticator-App');
    await field.waitFor();
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    assert.equal(await page.getByRole('button', { name: 'Sitzung verlängern' }).count(), 0, 'not logged in yet');
    await accessible(page, 'login-code');
    await tabTo(page, field);
    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page.getByText('Der Code ist falsch oder wurde schon verwendet.', { exact: false }).first().waitFor();
    await tabTo(page, field);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(code());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();

    // The password change: the current password, the new one, and the code when asked for.
    await page.goto(`${portal.address}/kennwort`);
    await page.getByRole('heading', { level: 1, name: 'Kennwort ändern' }).waitFor();
    assert.equal(await page.locator('#current-password').getAttribute('autocomplete'), 'current-password');
    assert.equal(await page.locator('#new-password').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#pruefnummer').count(), 0);
    await accessible(page, 'change-password');
    await tabTo(page, page.locator('#current-password'));
    await page.keyboard.type(OWN_PASSWORD);
    await tabTo(page, page.locator('#new-password'));
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    const changeCode = page.locator('#code');
    await changeCode.waitFor();
    await page.getByText('Bitte geben Sie zusätzlich den aktuellen Code', { exact: false }).first().waitFor();
    assert.equal(await changeCode.getAttribute('autocomplete'), 'one-time-code');
    await accessible(page, 'change-password-code');
    await tabTo(page, changeCode);
    await page.keyboard.type(code());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    assert.equal((await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: IK, password: OWN_PASSWORD } })).status, 401, 'the old password is gone');

    // Log out; in again with the new password and a recovery code.
    await tabTo(page, page.getByRole('link', { name: 'Abmelden' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sie sind abgemeldet' }).waitFor();
    await page.goto(`${portal.address}/anmelden`);
    await passwordStep(page, NEW_PASSWORD);
    await tabTo(page, page.getByRole('button', { name: 'Wiederherstellungscode verwenden' }));
    await page.keyboard.press('Enter');
    const recoveryField = page.getByLabel('Wiederherstellungscode');
    await recoveryField.waitFor();
    await accessible(page, 'login-recovery-code');
    await tabTo(page, recoveryField);
    await page.keyboard.type(recovery[0]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
    // The start page leads to the account's security.
    await page.goto(`${portal.address}/`);
    await page.getByRole('link', { name: /^Sicherheit Ihres Zugangs/ }).waitFor();
  } finally {
    await page.context().close();
    portal.stop();
  }
});
