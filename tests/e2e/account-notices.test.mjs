// "Das war ich nicht" (#16, BSI TR-03161 O.Auth_16, O.Pass_4): a provider changes the password,
// sees it in the account's history, reads the notice from the outbox, opens its link and blocks
// the account with the keyboard only; the changed password no longer works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { accessible, activeProvider, changePassword, http, launch, startPortal, tabTo } from './portal.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const IK = '301412340';
const OWN_PASSWORD = 'Elbwiesen im Nebel 2026!';
const NEW_PASSWORD = 'Sandsteinfelsen am Fluss 7';

/** The block link of the newest notice of `kind` with more than `seen` such notices, as its
 * path and query (the letters name the demo's configured port; the test's portal runs on
 * another). */
async function blockLink(outbox, kind, seen) {
  for (let i = 0; i < 200; i++) {
    const files = existsSync(outbox) ? readdirSync(outbox).sort().filter((f) => f.endsWith(`-${kind}.eml`)) : [];
    if (files.length > seen) {
      const text = readFileSync(join(outbox, files.pop()), 'utf8');
      const line = text.split(/\r?\n/).find((l) => l.startsWith('Zugang sperren: '));
      assert.ok(line, text);
      const url = new URL(line.slice('Zugang sperren: '.length).trim());
      return `${url.pathname}${url.search}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${kind} notice in ${outbox}`);
}

test('a provider blocks the account with the link of the password change notice', async () => {
  const portal = await startPortal();
  const page = await (await browser.newContext()).newPage();
  try {
    await activeProvider(portal, OWN_PASSWORD);
    // The first own password's notice is there already.
    await blockLink(portal.outbox, 'password_changed', 0);

    await page.goto(`${portal.address}/anmelden`);
    await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
    await tabTo(page, page.locator('#ik'));
    await page.keyboard.type(IK);
    await tabTo(page, page.locator('#password'));
    await page.keyboard.type(OWN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();

    // The change: current password and new one.
    await changePassword(page, portal.address, OWN_PASSWORD, NEW_PASSWORD);

    // The security page: no factor yet (enrolment offered, no removal), and the history.
    await page.goto(`${portal.address}/konto/sicherheit`);
    await page.getByRole('heading', { level: 2, name: 'Verlauf der letzten 90 Tage' }).waitFor();
    await page.getByRole('button', { name: 'Authenticator-App einrichten' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Authenticator-App entfernen' }).count(), 0);
    await page.locator('.history li', { hasText: 'Kennwort geändert' }).first().waitFor();
    await page.locator('.history li', { hasText: 'Anmeldung' }).first().waitFor();
    await accessible(page, 'security-history');

    // The notice's link, in a browser where nobody is logged in.
    const link = await blockLink(portal.outbox, 'password_changed', 1);
    const stranger = await (await browser.newContext()).newPage();
    try {
      await stranger.goto(`${portal.address}${link}`);
      await stranger.getByRole('heading', { level: 1, name: 'Zugang sperren' }).waitFor();
      await accessible(stranger, 'block-account');
      await tabTo(stranger, stranger.getByRole('button', { name: 'Zugang sperren' }));
      await stranger.keyboard.press('Enter');
      await stranger.getByText('Ihr Zugang ist gesperrt.', { exact: false }).waitFor();
      await accessible(stranger, 'block-account-done');
      // The link works once.
      await stranger.reload();
      await tabTo(stranger, stranger.getByRole('button', { name: 'Zugang sperren' }));
      await stranger.keyboard.press('Enter');
      await stranger.getByText('Dieser Link gilt nicht (mehr)', { exact: false }).waitFor();
    } finally {
      await stranger.context().close();
    }

    // The changed password no longer works, and the session has ended.
    const refused = await http(`${portal.address}/api/session`, { method: 'POST', json: { ik: IK, password: NEW_PASSWORD } });
    assert.equal(refused.status, 401, refused.text);
    const session = await page.evaluate(async () => (await fetch('/api/session')).status);
    assert.equal(session, 401, 'the session ended');
  } finally {
    await page.context().close();
    portal.stop();
  }
});
