// Playwright helpers for driving web/demo in the system Chromium (never a downloaded browser).
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** The node:test skip option when the system Chromium is missing. */
export function skipWithoutChromium() {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: the browser demo test needs the system Chromium (it never downloads one)`;
}

/**
 * Launches Chromium and returns a page that refuses every request
 * not addressed to the demo server (the page must work offline).
 * @param {string} origin e.g. http://127.0.0.1:12345
 */
export async function openBrowser(origin) {
  const { chromium } = await import('playwright-core');
  // Playwright gives a non-persistent browser its own throwaway profile directory.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const blocked = [];
  const problems = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  // Any console error is a problem (the page reports the errors it shows to the user with
  // console.warn: those are expected outcomes of bad input), and so is any failed request.
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  return {
    page,
    blocked,
    problems,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

/** Forgets the last state, so the next waitForState() sees the outcome of the next action. */
export async function markPending(page) {
  await page.evaluate(() => {
    document.body.dataset.state = 'test-pending';
  });
}

/** Clicks "Run trace" and waits for the outcome. */
export async function runTrace(page) {
  await markPending(page);
  await page.click('#run-trace');
  return waitForState(page, ['traced', 'error'], 30000);
}

/** Waits until body[data-state] is one of the given states, then returns it. */
export async function waitForState(page, states, timeout = 20000) {
  const wanted = Array.isArray(states) ? states : [states];
  const handle = await page.waitForFunction(
    (list) => (list.includes(document.body.dataset.state) ? document.body.dataset.state : null),
    wanted,
    { timeout },
  );
  return handle.jsonValue();
}

/** Chooses files in the model input and waits for the load to finish (either way). */
export async function chooseModel(page, files) {
  await markPending(page);
  await page.setInputFiles('#model-file', files);
  return waitForState(page, ['loaded', 'error']);
}

/** Chooses model files and fails with the page's own error message unless the model loads. */
export async function expectLoaded(page, files, what = 'model') {
  const state = await chooseModel(page, files);
  if (state !== 'loaded') {
    const shown = await page.locator('#model-error').innerText().catch(() => '(no error shown)');
    throw new Error(`${what} did not load (page state ${state}): ${shown}`);
  }
}

/** The table as [{name, className, status, onGrid, distinct}] (detail rows left out). */
export async function tableRows(page) {
  return page.$$eval('#layer-rows tr.layer', (rows) =>
    rows.map((row) => {
      const cells = row.querySelectorAll('th, td');
      return {
        name: row.dataset.layer,
        status: row.dataset.status,
        className: cells[1].textContent.trim(),
        badge: cells[3].textContent.trim(),
        distinct: cells[5].textContent.trim(),
        onGrid: cells[8].textContent.trim(),
      };
    }),
  );
}

/** Expands a layer's row and returns the text of its detail row. */
export async function layerDetail(page, name) {
  const button = page.locator(`#layer-rows tr.layer[data-layer="${name}"] button.row-toggle`);
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  const id = await button.getAttribute('aria-controls');
  const detail = page.locator(`#${id}`);
  await detail.waitFor({ state: 'visible' });
  return detail.innerText();
}

/**
 * Drops files onto the page as a user would (a synthetic drop event carrying a DataTransfer).
 * @param {{name: string, bytes: Uint8Array | string}[]} files
 */
export async function dropFiles(page, files) {
  const payload = files.map((f) => ({ name: f.name, bytes: Array.from(typeof f.bytes === 'string' ? Buffer.from(f.bytes) : f.bytes) }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name));
    const target = document.querySelector('main');
    target.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: transfer }));
    target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer }));
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }, payload);
}

/**
 * Runs action() while Chromium records a performance trace, and returns the page's main-thread
 * tasks (the renderer thread that ran the page's script): for each, its wall-clock duration and
 * its thread CPU time (ms), longest CPU time first, with the biggest steps inside it.
 * CPU time is what the page's own work costs: unlike the wall clock, it does not grow when other
 * processes take the machine's cores away from the browser (CI has 2 shared cores).
 * @param {import('playwright-core').Page} page
 * @param {() => Promise<void>} action
 * @param {string} script the page's script URL part that identifies its main thread
 */
export async function mainThreadTasks(page, action, script = '/build/demo/page.js') {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  try {
    await action();
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
  }
  const call = events.find((e) => e.name === 'FunctionCall' && String(e.args?.data?.url ?? '').includes(script));
  if (!call) throw new Error(`mainThreadTasks: no call into ${script} in the trace (${events.length} events)`);
  const onMain = events.filter((e) => e.pid === call.pid && e.tid === call.tid && e.ph === 'X');
  const all = onMain.filter((e) => e.name === 'RunTask');
  // A few tasks (e.g. the one running when tracing stops) carry no CPU time; nearly all must.
  const tasks = all.filter((t) => typeof t.tdur === 'number');
  if (tasks.length < 0.9 * all.length) throw new Error(`mainThreadTasks: only ${tasks.length} of ${all.length} tasks have a thread CPU time (tdur)`);
  return tasks
    .map((t) => {
      const inside = onMain.filter((e) => e !== t && e.name !== 'RunTask' && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e.dur >= 5000);
      const steps = {};
      for (const e of inside) steps[e.name] = Math.max(steps[e.name] ?? 0, Math.round(e.dur / 1000));
      return { wallMs: Math.round(t.dur / 1000), cpuMs: Math.round(t.tdur / 1000), steps };
    })
    .sort((a, b) => b.cpuMs - a.cpuMs);
}
