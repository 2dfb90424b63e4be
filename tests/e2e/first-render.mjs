// For tools/bench: time from navigation to the login page's heading, median of 7 loads in a fresh
// browser context each (nothing cached), against the running portal at $PORTAL_URL.
import { launch } from './portal.mjs';

const url = `${process.env.PORTAL_URL}/anmelden`;
const browser = await launch();
const times = [];
for (let i = 0; i < 7; i++) {
  const page = await (await browser.newContext()).newPage();
  const start = Date.now();
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: 'Anmelden' }).waitFor();
  times.push(Date.now() - start);
  await page.context().close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`| first render of the login page (headless Chromium, no cache) | median ${times[3]} ms, min ${times[0]} ms, max ${times[6]} ms over 7 loads |`);
