// What the browser tests stand on: the real `portal` binary serving the built app on a free port
// (embedded store in a temp folder, demo data, letters in its outbox), Debian's Chromium, and axe.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const root = new URL('../../', import.meta.url).pathname;
const portalBin = process.env.PORTAL_BIN ?? join(root, 'target/debug/portal');
export const screenshots = join(root, 'target/e2e-screenshots');
mkdirSync(screenshots, { recursive: true });

export async function startPortal(env = {}) {
  assert.ok(existsSync(join(root, 'frontend/dist/index.html')), 'build the app first: tools/build-app');
  const dataDir = mkdtempSync(join(tmpdir(), 'portal-e2e-'));
  const child = spawn(portalBin, ['serve', '--demo'], {
    env: {
      ...process.env,
      PORTAL_ADDR: '127.0.0.1:0',
      PORTAL_DATA_DIR: dataDir,
      PORTAL_STATIC_DIR: join(root, 'frontend/dist'),
      PORTAL_CHALLENGE_DIFFICULTY: '8',
      PORTAL_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const address = await new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/Portal: (http:\/\/[^/\s]+)\//);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`portal exited with ${code}: ${seen}`)));
  });
  return { address, outbox: join(dataDir, 'outbox'), stop: () => child.kill() };
}

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Presses Tab until `locator` has the focus: proves it is reachable with the keyboard alone. */
export async function tabTo(page, locator, limit = 60) {
  await locator.waitFor();
  for (let i = 0; i < limit; i++) {
    if (await locator.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`not reachable with Tab: ${locator}`);
}

/** No axe violations (WCAG 2.1 A and AA) at phone and desktop width; a screenshot of each. */
export async function accessible(page, name) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const violations = results.violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
    assert.deepEqual(violations, [], `${name} at ${width}px`);
    await page.screenshot({ path: join(screenshots, `${name}-${width}.png`), fullPage: true });
  }
}

/** The secrets of the newest pair of letters, read from the outbox as a person reads paper. */
export async function letters(outbox) {
  for (let i = 0; i < 200; i++) {
    const files = existsSync(outbox) ? readdirSync(outbox).sort() : [];
    const newest = (kind) => files.filter((f) => f.endsWith(`-${kind}.eml`)).pop();
    if (newest('initial_password') && newest('pruefnummer')) {
      const secret = (kind, label) => readFileSync(join(outbox, newest(kind)), 'utf8')
        .split(/\r?\n/).find((line) => line.startsWith(`${label}: `)).slice(label.length + 2).trim();
      return { password: secret('initial_password', 'Initialkennwort'), pruefnummer: secret('pruefnummer', 'Prüfnummer') };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no letters in ${outbox}`);
}

/** Registers and activates the demo pharmacy over the API, as the bench driver does. */
export async function activeProvider(portal, newPassword) {
  const challenge = await (await fetch(`${portal.address}/api/challenge`)).json();
  let nonce = 0;
  const zeroBits = (hash) => { let bits = 0; for (const byte of hash) { if (byte === 0) { bits += 8; continue; } bits += Math.clz32(byte) - 24; break; } return bits; };
  while (zeroBits(createHash('sha256').update(`${challenge.salt}:${nonce}`).digest()) < challenge.difficulty) nonce++;
  const post = (path, body, cookie) => fetch(`${portal.address}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body),
  });
  await post('/api/registrations', { ik: '301412340', terms_accepted: true, challenge: { id: challenge.id, nonce: String(nonce) } });
  const { password, pruefnummer } = await letters(portal.outbox);
  const login = await post('/api/session', { ik: '301412340', password });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const set = await post('/api/password', { pruefnummer, new_password: newPassword }, cookie);
  assert.equal(set.status, 204);
}
