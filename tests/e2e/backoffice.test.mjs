// The back office's figures page (#18): its own login (a back-office user from `portal backoffice
// add`, never a provider's account), then the figures per day with the top providers, keyboard
// only; a wrong password is refused with a message; axe finds nothing at 360 and 1280 px.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessible, activeProvider, http, launch, portalCli, sessionCookie, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the back office logs in with its own account and sees the day\'s figures and top providers', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, 'Elbwiesen im Nebel 2026!');
    const login = await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: '301412340', password: 'Elbwiesen im Nebel 2026!' } });
    const provider = sessionCookie(login);
    for (let i = 0; i < 3; i++) {
      const asked = await http(`${portal.address}/api/exemption-queries`, { method: 'POST', headers: { cookie: provider }, json: { kvnr: 'A123456780', consent: 'insured_present' } });
      assert.equal(asked.status, 200, asked.text);
    }
    // A provider's session is no back-office session.
    const refused = await http(`${portal.address}/api/backoffice/figures`, { headers: { cookie: provider } });
    assert.equal(refused.status, 401);
    const added = portalCli(portal, ['backoffice', 'add', 'm.mueller', '--tenant', 'plus']);
    const password = added.trim().split('\n').at(-1).trim();
    portalCli(portal, ['stats', 'rollup', '--tenant', 'plus']);

    await page.goto(`${portal.address}/backoffice`);
    await page.getByRole('heading', { level: 1, name: 'Back-Office: Kennzahlen' }).waitFor();
    const name = page.getByLabel('Name');
    const secret = page.getByLabel('Kennwort');
    await tabTo(page, name);
    await page.keyboard.type('m.mueller');
    await tabTo(page, secret);
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').getByText('Name oder Kennwort ist falsch.').waitFor();
    await accessible(page, 'backoffice-login');

    await secret.fill('');
    await tabTo(page, secret);
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Je Tag' }).waitFor();
    // Today's row counts the three queries; the demo pharmacy tops the list with them.
    const today = page.locator('table.figures').first().locator('tbody tr').last();
    assert.equal(await today.locator('td').first().textContent(), '3');
    const top = page.locator('table[aria-labelledby="bo-top"] tbody tr');
    assert.equal(await top.count(), 1);
    assert.equal(await top.first().locator('th').textContent(), '301412340');
    assert.equal(await top.first().locator('td').first().textContent(), '3');
    await accessible(page, 'backoffice');

    const logout = page.getByRole('button', { name: 'Abmelden' });
    await tabTo(page, logout);
    await page.keyboard.press('Enter');
    await page.getByLabel('Name').waitFor();
  } finally {
    portal.stop();
  }
});
