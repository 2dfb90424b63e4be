// What the browser tests stand on: the real `portal` binary serving the built app on a free port
// (embedded store in a temp folder, the two demo insurers with their demo data, letters in one
// outbox), Debian's Chromium, and axe.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const root = new URL('../../', import.meta.url).pathname;
const portalBin = process.env.PORTAL_BIN ?? join(root, 'target/debug/portal');
export const screenshots = join(root, 'target/e2e-screenshots');
mkdirSync(screenshots, { recursive: true });

/** Starts `portal serve --demo`: the insurers at `http://plus.localhost:PORT` and
 * `http://bayern.localhost:PORT` (`tenants`), the list of them at `http://127.0.0.1:PORT`
 * (`loopback`); `address` is AOK PLUS's, where the single-insurer tests run. `tenantsFile` changes
 * the demo's tenants file (its text in, its text out) before the portal starts. */
export async function startPortal(env = {}, { tenantsFile } = {}) {
  assert.ok(existsSync(join(root, 'frontend/dist/index.html')), 'build the app first: tools/build-app');
  const dataDir = mkdtempSync(join(tmpdir(), 'portal-e2e-'));
  if (tenantsFile) {
    const demo = join(root, 'functions/portal/demo');
    writeFileSync(join(dataDir, 'tenants.toml'), tenantsFile(readFileSync(join(demo, 'tenants.toml'), 'utf8')));
    cpSync(join(demo, 'logos'), join(dataDir, 'logos'), { recursive: true });
  }
  const child = spawn(portalBin, ['serve', '--demo'], {
    env: {
      ...process.env,
      PORTAL_ADDR: '127.0.0.1:0',
      PORTAL_DATA_DIR: dataDir,
      PORTAL_STATIC_DIR: join(root, 'frontend/dist'),
      PORTAL_CONTENT_DIR: join(root, 'content'),
      PORTAL_CHALLENGE_DIFFICULTY: '8',
      PORTAL_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // One line per insurer, "Portal AOK PLUS (Demo): http://plus.localhost:PORT/", then the hint
  // how to stop it.
  const tenants = await new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      if (!/Ctrl\+C/.test(seen)) return;
      const found = {};
      for (const [, address, slug] of seen.matchAll(/^Portal .+?: (http:\/\/([a-z0-9-]+)\.localhost:\d+)\/$/gm)) {
        found[slug] = address;
      }
      resolve(found);
    });
    child.on('exit', (code) => reject(new Error(`portal exited with ${code}: ${seen}`)));
  });
  assert.ok(tenants.plus && tenants.bayern, `both demo insurers: ${JSON.stringify(tenants)}`);
  const port = new URL(tenants.plus).port;
  return {
    address: tenants.plus,
    tenants,
    loopback: `http://127.0.0.1:${port}`,
    outbox: join(dataDir, 'outbox'),
    dataDir,
    stop: () => child.kill(),
  };
}

/** Node's resolver (glibc) knows `localhost` but not `plus.localhost`; Chromium resolves every
 * `*.localhost` to loopback itself. Node-side requests do the same: they connect to 127.0.0.1
 * and send the address's host name in `Host`, which is how the portal tells the insurers apart. */
function loopbackLookup(hostname, options, callback) {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

/** An HTTP request from Node (no browser, no cookie jar): `{ status, headers, text, json() }`. */
export function http(url, { method = 'GET', headers = {}, json } = {}) {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const sent = body === undefined ? headers : { 'content-type': 'application/json', ...headers };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: sent, lookup: loopbackLookup }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request from the page, with its cookies, as the app sends one (`page.request` would go out
 * from Node, which cannot resolve `plus.localhost`): `{ status, body }`, the body parsed if JSON. */
export async function fetchInPage(page, path, json) {
  return page.evaluate(async ([path, json]) => {
    const init = json === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json),
    };
    const response = await fetch(path, init);
    const text = await response.text();
    let body = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: response.status, body };
  }, [path, json]);
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

/** The login's password step with the keyboard only: the IK and `password`, then Enter. */
export async function passwordStep(page, password, ik = '301412340') {
  await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
  assert.equal(await page.locator('#password').getAttribute('autocomplete'), 'current-password');
  await tabTo(page, page.locator('#ik'));
  await page.keyboard.type(ik);
  await tabTo(page, page.locator('#password'));
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** A change of the own password on its page with the keyboard only, back on the start page. */
export async function changePassword(page, address, current, next) {
  await page.goto(`${address}/kennwort`);
  await page.getByRole('heading', { level: 1, name: 'Kennwort ändern' }).waitFor();
  await tabTo(page, page.locator('#current-password'));
  await page.keyboard.type(current);
  await tabTo(page, page.locator('#new-password'));
  await page.keyboard.type(next);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Online-Hintergrund-Abfrage' }).waitFor();
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

/** The secrets of the newest pair of letters, read from the outbox as a person reads paper. Every
 * insurer's letters land in the same outbox: `from` (the sender's address) picks one insurer's. */
export async function letters(outbox, from) {
  for (let i = 0; i < 200; i++) {
    const files = existsSync(outbox) ? readdirSync(outbox).sort() : [];
    const read = (file) => readFileSync(join(outbox, file), 'utf8');
    const sentBy = (file) => !from || read(file).split(/\r?\n/).some((line) => line.startsWith('From: ') && line.includes(`<${from}>`));
    const newest = (kind) => files.filter((f) => f.endsWith(`-${kind}.eml`) && sentBy(f)).pop();
    if (newest('initial_password') && newest('pruefnummer')) {
      const secret = (kind, label) => read(newest(kind))
        .split(/\r?\n/).find((line) => line.startsWith(`${label}: `)).slice(label.length + 2).trim();
      return { password: secret('initial_password', 'Initialkennwort'), pruefnummer: secret('pruefnummer', 'Prüfnummer') };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no letters${from ? ` from ${from}` : ''} in ${outbox}`);
}

/** Registers and activates a provider of the demo (the pharmacy unless `ik` says another) over
 * the API, as the bench driver does, at the insurer at `address` (AOK PLUS's unless told). */
export async function activeProvider(portal, newPassword, address = portal.address, ik = '301412340') {
  const challenge = (await http(`${address}/api/challenge`)).json();
  let nonce = 0;
  const zeroBits = (hash) => { let bits = 0; for (const byte of hash) { if (byte === 0) { bits += 8; continue; } bits += Math.clz32(byte) - 24; break; } return bits; };
  while (zeroBits(createHash('sha256').update(`${challenge.salt}:${nonce}`).digest()) < challenge.difficulty) nonce++;
  const post = (path, json, cookie) => http(`${address}${path}`, { method: 'POST', json, headers: cookie ? { cookie } : {} });
  const registered = await post('/api/registrations', { ik, terms_accepted: true, challenge: { id: challenge.id, nonce: String(nonce) } });
  assert.equal(registered.status, 202, registered.text);
  const { password, pruefnummer } = await letters(portal.outbox, mailFrom(address));
  const login = await post('/api/session', { ik, password });
  assert.equal(login.status, 200, login.text);
  const cookie = login.headers['set-cookie'][0].split(';')[0];
  const set = await post('/api/password', { pruefnummer, new_password: newPassword }, cookie);
  assert.equal(set.status, 204, set.text);
}

/** The sender of an insurer's letters in the demo: `serviceportal@plus.aok.example`. */
export function mailFrom(address) {
  return `serviceportal@${new URL(address).hostname.replace(/\.localhost$/, '')}.aok.example`;
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at time step `step`. */
export function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[=\s]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** An authenticator app for a secret: each code it gives is of a later time step than the one
 * before (the portal takes each step once, and one step of drift either way), so a test needs
 * not wait for the clock: the first code is of the step before now. */
export function authenticator(secret) {
  let last = 0;
  return () => {
    const now = Math.floor(Date.now() / 30_000);
    const step = Math.max(last + 1, now - 1);
    assert.ok(step <= now + 1, 'more codes than time steps: wait for the clock');
    last = step;
    return totp(secret, step);
  };
}

/** The session cookie a response of the portal set (`__Host-session=…`). */
export function sessionCookie(response) {
  return response.headers['set-cookie'][0].split(';')[0];
}

/** Runs the portal's command line on the running portal's data (the back office's commands):
 * its standard output. */
export function portalCli(portal, args) {
  const run = spawnSync(portalBin, args, { env: { ...process.env, PORTAL_DATA_DIR: portal.dataDir, PORTAL_LOG: 'warn' }, encoding: 'utf8' });
  assert.equal(run.status, 0, `portal ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}
