#!/usr/bin/env node
// Opens every page of the rendered book in headless Chromium, with the network
// cut off, and checks what a reader would see. See README.md next to this file.
//
//   node tools/browser-check/check.mjs [BOOK_DIR] [--screenshots DIR]
//
// A page FAILs on: a console error or an uncaught exception; a resource that
// answers 4xx/5xx; a request to any host but the local server (blocked, then
// reported); an <img> that is not local or did not load; figure text that
// shows smaller than 12 CSS px at 1280 or 400 px wide; TeX left as text; a
// <math> element with no size or an <merror>, or whose visible text holds an
// entity written out ("&nbsp;") or the micro sign for mu; a number in a table
// that wraps onto a second line; a table wider than the text column or a
// code block that scrolls sideways at 1280 px; a figure shown as drawn (a
// white box) in the coal or rust theme; an internal link whose page or
// #anchor does not exist; search finding nothing for a word of the page.

import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const USAGE = `Usage: node tools/browser-check/check.mjs [BOOK_DIR] [--screenshots DIR]

Serves BOOK_DIR (default: book/ at the repository root) on 127.0.0.1, opens
every page listed in its toc.html (and index.html) in headless Chromium with
the network disabled, checks each page, and prints one OK/FAIL line per page.
Exit status: 0 all pages pass, 1 a page fails, 2 usage or setup error.

Options:
  --screenshots DIR  also save a full-page PNG of each page into DIR
  --self-test        check the checker instead: copy BOOK_DIR, break one page
                     on purpose (a figure with small text, a formula with an
                     entity and an merror, a wrapping number, a scrolling code
                     block, a figure left white in the dark theme) and exit 0
                     only if every break is reported
  --help             print this help

Environment:
  CHROMIUM           the browser binary (default: /usr/bin/chromium)`;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// These flags keep Chromium quiet and offline on a CI machine.
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
// Visible text that means a formula was not turned into MathML.
const RAW_TEX = /\\\(|\\\)|\\\[|\\\]|\$\$|\\[A-Za-z]+/;
// A table cell that holds only a number, a unit or a range (the same test as
// chapters/style/book.js, which keeps such cells, and short ones, on one line).
const NUMBER_CELL = /^[\s\d.,:;%‰+\-−–—×·⁰¹²³⁴⁵⁶⁷⁸⁹⁻e()\/≈<>=±µμsmx]+$/;
// The dark theme a page is also looked at in.
const DARK = "coal";

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = { book: path.resolve(HERE, "../../book"), screenshots: null, selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--screenshots") {
      if (!argv[i + 1]) die("--screenshots needs a folder");
      opts.screenshots = path.resolve(argv[++i]);
    } else if (arg === "--self-test") {
      opts.selfTest = true;
    } else if (arg.startsWith("-")) {
      die(`unknown option ${arg} (see --help)`);
    } else {
      opts.book = path.resolve(arg);
    }
  }
  return opts;
}

function die(message) {
  console.error(`browser-check: error: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------- the server

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
  ".json": "application/json", ".woff": "font/woff", ".woff2": "font/woff2",
  ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain; charset=utf-8",
};

/** Serves the files of `root` on 127.0.0.1 at a free port; resolves to the server. */
function serve(root) {
  const server = http.createServer((req, res) => {
    let file = "";
    try {
      file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    } catch {} // a malformed %-escape: 404 below
    if (file.endsWith(path.sep)) file = path.join(file, "index.html");
    // Only files under root; no directory listings.
    if (!file.startsWith(root + path.sep) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const type = TYPES[path.extname(file).toLowerCase()] || "application/octet-stream";
    res.writeHead(200, { "content-type": type });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ---------------------------------------------------------------- the pages

/** index.html, then every chapter toc.html (the SUMMARY) links to, in order. */
function bookPages(root) {
  const toc = path.join(root, "toc.html");
  if (!fs.existsSync(toc)) die(`${toc} not found: render the book first (cargo book)`);
  const hrefs = [...fs.readFileSync(toc, "utf8").matchAll(/href="([^"#?]+\.html)"/g)].map((m) => m[1]);
  const chapters = [...new Set(hrefs)];
  if (chapters.length === 0) die(`${toc} lists no chapters`);
  return { pages: ["index.html", ...chapters], first: chapters[0] };
}

/** Status and element ids of a local page, fetched once (pages share the cache). */
const targets = new Map();
function target(url) {
  if (!targets.has(url)) {
    targets.set(url, fetch(url).then(async (res) => {
      const html = res.ok ? await res.text() : "";
      const ids = new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]));
      return { status: res.status, ids };
    }));
  }
  return targets.get(url);
}

/** Runs in the page: everything the checks need from the DOM, as plain data. */
function inspectPage(rawTexSource) {
  const skip = "code, pre, annotation, script, style, noscript, kbd";
  const rawTexPattern = new RegExp(rawTexSource);
  // Raw TeX in visible text outside code (the TeX kept in <annotation> is hidden).
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    const m = node.data.match(rawTexPattern);
    if (m) {
      const at = Math.max(0, m.index - 20);
      rawTex.push(node.data.slice(at, m.index + 30).replace(/\s+/g, " ").trim());
    }
  }
  const maths = [...document.querySelectorAll("math")];
  const emptyMath = maths.filter((m) => {
    const r = m.getBoundingClientRect();
    return !(r.width > 0 && r.height > 0);
  }).map((m) => m.querySelector("annotation")?.textContent || m.outerHTML.slice(0, 60));
  const mathErrors = [...document.querySelectorAll("merror")].map((e) => e.textContent.slice(0, 60));

  const images = [...document.images].map((img) => ({
    src: img.getAttribute("src"),
    url: img.currentSrc || img.src,
    loaded: img.complete && img.naturalWidth > 0,
  }));
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.href);

  // A search word: the longest word of the first paragraph of the chapter,
  // leaving out math and code (their text is not what a reader types).
  let word = "";
  for (const p of document.querySelectorAll("main p")) {
    const clone = p.cloneNode(true);
    clone.querySelectorAll("math, code").forEach((e) => e.remove());
    for (const w of clone.textContent.split(/[^A-Za-z]+/)) if (w.length > word.length) word = w;
    if (word.length >= 5) break;
  }
  return { rawTex, mathCount: maths.length, emptyMath, mathErrors, images, links, word };
}

/** Runs in the page: what a reader would squint at (numbers, code, formulas). */
function inspectLayout(numberSource) {
  const number = new RegExp(numberSource);
  const wrappedNumbers = [];
  for (const td of document.querySelectorAll("main table td")) {
    const text = td.textContent.trim();
    // The same rule as chapters/style/book.js: numbers and short cells.
    const unbroken = text.length > 0 && (text.length <= 16 ||
      (text.length <= 28 && /\d/.test(text)) || (text.length <= 40 && number.test(text)));
    if (!unbroken) continue;
    // The lines its text occupies: the boxes of its text nodes only (an
    // inline <code>'s padding box sits a little higher than its text).
    const bottoms = [];
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      if (!node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) bottoms.push(r.bottom);
    }
    bottoms.sort((a, b) => a - b);
    const lines = bottoms.filter((b, i) => i === 0 || b - bottoms[i - 1] > 4).length;
    if (lines > 1) wrappedNumbers.push(text);
  }
  // mdBook lets the <code> inside a <pre> scroll, so look at both.
  const scrolls = (el) => el && el.scrollWidth > el.clientWidth + 1;
  const scrollingCode = [...document.querySelectorAll("main pre")]
    .filter((pre) => pre.checkVisibility() && (scrolls(pre) || scrolls(pre.querySelector("code"))))
    .map((pre) => pre.textContent.trim().split("\n")[0].slice(0, 50));
  const mathText = [];
  for (const m of document.querySelectorAll("math")) {
    const clone = m.cloneNode(true);
    clone.querySelectorAll("annotation").forEach((a) => a.remove());
    const text = clone.textContent;
    if (/&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);|\u00b5/.test(text)) {
      mathText.push(m.querySelector("annotation")?.textContent || text.slice(0, 60));
    }
  }
  // A table wider than the text column (mdBook puts it in a scrolling box).
  const wideTables = [...document.querySelectorAll("main table")]
    .filter((t) => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
    .map((t) => t.querySelector("th, td")?.textContent.trim().slice(0, 40) || "");
  return { wrappedNumbers, scrollingCode, mathText, wideTables };
}

/** Runs in the page: the figures whose smallest text shows below `least`
 * CSS px (the SVG's font sizes times the scale the image is shown at). */
async function smallFigureText(least) {
  const small = [];
  for (const img of document.querySelectorAll("main figure img")) {
    if (!img.src.endsWith(".svg") || !img.naturalWidth) continue;
    const svg = await (await fetch(img.src)).text();
    const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
    if (sizes.length === 0) continue;
    const shown = Math.min(...sizes) * (img.getBoundingClientRect().width / img.naturalWidth);
    if (shown < least) small.push(`${img.getAttribute("src")} (${shown.toFixed(1)} px)`);
  }
  return small;
}

/** Runs in the page: switches it to `theme`; the figures still shown as drawn,
 * a white box: with no inverting filter, and in the beige rust theme not
 * multiplied with the page either. */
function brightFiguresIn(theme) {
  const html = document.documentElement;
  html.classList.remove("light", "rust", "coal", "navy", "ayu");
  html.classList.add(theme);
  return [...document.querySelectorAll("main figure img")]
    .filter((img) => {
      const style = getComputedStyle(img);
      if (/invert\((0\.[5-9]|1)/.test(style.filter)) return false;
      return !(theme === "rust" && style.mixBlendMode === "multiply");
    })
    .map((img) => img.getAttribute("src"));
}

/** Types `word` into mdBook's search box; resolves to the result links. */
async function search(page, word) {
  await page.click("#mdbook-search-toggle");
  await page.locator("#mdbook-searchbar").pressSequentially(word);
  // The index loads on first use; the header is filled once a search has run.
  await page.waitForFunction(
    () => document.getElementById("mdbook-searchresults-header").textContent.trim() !== "",
    null, { timeout: 10_000 },
  );
  return page.$$eval("#mdbook-searchresults a", (as) => as.map((a) => a.getAttribute("href")));
}

/** Opens one page, checks it; resolves to { problems, summary }. */
async function checkPage(context, origin, name, first, screenshots) {
  const problems = [];
  const note = (p) => problems.includes(p) || problems.push(p);
  const short = (url) => (url.startsWith(origin + "/") ? url.slice(origin.length + 1) : url);
  const page = await context.newPage();

  // Nothing may leave the machine: requests to any other origin are aborted
  // and reported.
  const blocked = new Set(); // URLs already reported
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    blocked.add(url);
    note(`request leaving the machine (blocked): ${url}`);
    return route.abort("blockedbyclient");
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location().url ? ` (${short(msg.location().url)})` : "";
    note(`console error: ${msg.text()}${where}`);
  });
  page.on("pageerror", (err) => note(`page error: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() < 400) return;
    blocked.add(res.url()); // reported here, not again as a failed request
    note(`HTTP ${res.status()}: ${short(res.url())}`);
  });
  page.on("requestfailed", (req) => {
    if (!blocked.has(req.url())) note(`request failed (${req.failure()?.errorText}): ${short(req.url())}`);
  });

  const pageUrl = `${origin}/${name}`;
  await page.goto(pageUrl, { waitUntil: "load", timeout: 20_000 });
  await page.evaluate(() => document.fonts.ready);
  // Open the collapsed solutions so their math and links are checked (and shown).
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));

  const info = await page.evaluate(inspectPage, RAW_TEX.source);
  for (const img of info.images) {
    if (!img.url.startsWith(origin + "/") && !img.url.startsWith("data:")) note(`image not local: ${img.src}`);
    else if (!img.loaded) note(`image did not load: ${img.src}`);
  }
  for (const t of info.rawTex) note(`raw TeX visible: "…${t}…"`);
  for (const m of info.emptyMath) note(`math with no size on screen: ${m}`);
  for (const m of info.mathErrors) note(`math error: ${m}`);

  // Internal links: the page must answer 200 and hold the #anchor.
  const internal = [...new Set(info.links)].filter((href) => href.startsWith(origin + "/"));
  for (const href of internal) {
    const url = new URL(href);
    const hash = decodeURIComponent(url.hash.slice(1));
    url.hash = "";
    url.search = "";
    const t = await target(url.href);
    if (t.status !== 200) note(`broken link: ${short(href)} (HTTP ${t.status})`);
    else if (hash && !t.ids.has(hash)) note(`broken anchor: ${short(href)} (no id "${hash}")`);
  }

  const layout = await page.evaluate(inspectLayout, NUMBER_CELL.source);
  for (const n of layout.wrappedNumbers) note(`a number in a table wraps onto two lines: "${n}"`);
  for (const c of layout.scrollingCode) note(`code block scrolls sideways at 1280 px: "${c}"`);
  for (const t of layout.wideTables) note(`table wider than the text column at 1280 px: "${t}"`);
  for (const m of layout.mathText) note(`formula shows an entity or the micro sign: ${m}`);
  for (const width of [1280, 400]) {
    await page.setViewportSize({ width, height: 900 });
    for (const f of await page.evaluate(smallFigureText, 12)) note(`figure text below 12 px at ${width} px wide: ${f}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  if (screenshots) await page.screenshot({ path: path.join(screenshots, name.replace(/\.html$/, ".png")), fullPage: true });
  for (const src of await page.evaluate(brightFiguresIn, DARK)) note(`figure on white in the ${DARK} theme: ${src}`);
  if (screenshots) await page.screenshot({ path: path.join(screenshots, name.replace(/\.html$/, `-${DARK}.png`)), fullPage: true });
  for (const src of await page.evaluate(brightFiguresIn, "rust")) note(`figure on white in the rust theme: ${src}`);
  await page.evaluate(brightFiguresIn, "light");

  // Search: at least one result, and one of them on this page.
  let found = 0;
  if (!info.word) note("search: no word found in the page's first paragraphs");
  else {
    try {
      const results = await search(page, info.word);
      found = results.length;
      const own = name === "index.html" ? first : name;
      if (found === 0) note(`search for "${info.word}" returned nothing`);
      else if (!results.some((r) => r.split(/[#?]/)[0] === own)) note(`search for "${info.word}" did not find ${own}`);
    } catch (err) {
      note(`search for "${info.word}" did not run: ${err.message.split("\n")[0]}`);
    }
  }
  await page.close();
  const summary = `${info.mathCount} math, ${info.images.length} img, ${internal.length} links, search "${info.word}": ${found}`;
  return { problems, summary };
}

// ---------------------------------------------------------------- live figures

/** Drives every live figure of a page opened from disk (file://), with the
 * network off, as a reader would: the printed figure must come back byte for
 * byte at the book's values (reset), and each control, moved on its own to
 * the start of its range (or the next choice, or seed 7), must redraw the
 * figure, put its flag on the command line and raise no error. Returns the
 * problems and the measured times. */
async function checkLive(context, book, name, plain = false) {
  const problems = [];
  const note = (p) => problems.includes(p) || problems.push(p);
  const page = await context.newPage();
  // The build without relaxed SIMD, which browsers without it load.
  if (plain) await page.addInitScript(() => { WebAssembly.validate = () => false; });
  page.on("console", (msg) => msg.type() === "error" && note(`console error: ${msg.text()}`));
  page.on("pageerror", (err) => note(`page error: ${err.message}`));
  await page.goto(pathToFileURL(path.join(book, name)).href);
  const count = await page.locator("div.live").count();
  const timings = [];
  for (let i = 0; i < count; i++) {
    const block = page.locator("div.live").nth(i);
    const { live, figure, hidden } = await block.evaluate((b) => ({
      live: b.dataset.live, figure: b.dataset.figure, hidden: b.hidden,
    }));
    if (hidden) {
      note(`live figure ${live}: still hidden (its script did not run)`);
      continue;
    }
    await block.scrollIntoViewIfNeeded();
    // One draw: act, then wait for the figure's draw counter to move on.
    const draw = async (act, arg) => {
      const before = await block.evaluate((b) => b.liveDraws);
      const t0 = Date.now();
      await block.evaluate(act, arg);
      await block.evaluate((b, n) => new Promise((resolve, reject) => {
        const until = Date.now() + 120000;
        (function wait() {
          if (b.liveDraws > n) return resolve();
          if (Date.now() > until) return reject(new Error("no redraw within 120 s"));
          setTimeout(wait, 10);
        })();
      }), before);
      const answer = await block.evaluate((b) => ({
        error: b.liveAnswer.error || "", svg: b.liveAnswer.svg || "", ms: b.liveAnswer.ms,
        command: b.querySelector(".live-command").textContent,
        img: (document.querySelector(`img[src="${b.dataset.figure}"], img[src^="blob:"]`) || {}).src || "",
      }));
      return { ...answer, wall: Date.now() - t0 };
    };
    const reset = (b) => b.querySelector(".live-reset").click();
    const printed = fs.readFileSync(path.join(book, figure), "utf8");
    let first;
    try {
      first = await draw(reset);
    } catch (err) {
      note(`live figure ${live}: ${err.message}`);
      continue;
    }
    if (first.error) note(`live figure ${live}: ${first.error}`);
    if (first.svg !== printed) note(`live figure ${live}: at the book's values it differs from ${figure}`);
    if (!first.img.startsWith("blob:")) note(`live figure ${live}: the page still shows the printed image`);
    const again = await draw(reset);
    if (plain) {
      timings.push(`${live}: first ${first.wall} ms (computing ${Math.round(first.ms)} ms), redraw ${Math.round(again.ms)} ms`);
      continue;
    }
    const controls = await block.evaluate((b) => [...b.querySelectorAll("[data-flag]")].map((c) => c.dataset.flag));
    for (const flag of controls) {
      const moved = await draw((b, flag) => {
        const c = b.querySelector(`[data-flag="${flag}"]`);
        b.querySelectorAll("[data-flag]").forEach((o) => { o.value = o.dataset.book; });
        if (c.tagName === "SELECT") c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
        else if (c.type === "text") c.value = "7";
        else c.value = c.min;
        c.dispatchEvent(new Event(c.type === "range" ? "input" : "change"));
      }, flag).catch((err) => ({ error: err.message }));
      if (moved.error) note(`live figure ${live}, --${flag} moved: ${moved.error.split("\n")[0]}`);
      else if (moved.svg === printed) note(`live figure ${live}: moving --${flag} did not change the figure`);
      else if (!moved.command.includes(`--${flag} `)) note(`live figure ${live}: the command "${moved.command}" lacks --${flag}`);
    }
    // A seed that is no number: the error is shown, the figure marked stale,
    // and reset brings the book's figure back.
    if (live === "gradients") {
      const bad = await draw((b) => {
        const seed = b.querySelector('[data-flag="seed"]');
        seed.value = "forty-two";
        seed.dispatchEvent(new Event("change"));
      });
      const shown = await block.evaluate((b) => ({
        status: b.querySelector(".live-status").textContent,
        stale: !!document.querySelector("img.live-stale"),
      }));
      if (!bad.error.startsWith("seed:") || !shown.status.startsWith("seed:") || !shown.stale) {
        note(`live figure ${live}: a bad seed showed "${shown.status}" (stale figure: ${shown.stale})`);
      }
      const back = await draw(reset);
      if (back.svg !== printed) note(`live figure ${live}: reset after an error did not bring the printed figure back`);
    }
    timings.push(`${live}: first ${first.wall} ms (computing ${Math.round(first.ms)} ms), redraw ${Math.round(again.ms)} ms, ${controls.length} controls moved`);
  }
  const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src).filter((s) => /live-module/.test(s)));
  await page.close();
  return { problems, count, timings, scripts };
}

/** Chapters whose live figure the build without relaxed SIMD also draws
 * (the others take 10–30 s there, too long for every CI run). */
const PLAIN_PAGES = ["gradients.html", "he.html", "covariate_shift.html", "feedback.html"];

// ---------------------------------------------------------------- self-test

// What the self-test breaks, and the report each break must produce.
const BREAKS = [
  ["a figure whose text is a third of its size", /figure text below 12 px at 1280 px wide: figures\/self-test\/small\.svg/],
  ["the same figure at 400 px", /figure text below 12 px at 400 px wide: figures\/self-test\/small\.svg/],
  ["a figure with its dark-theme filter removed", /figure on white in the coal theme: figures\/self-test\/white\.svg/],
  ["the same figure in the rust theme", /figure on white in the rust theme: figures\/self-test\/white\.svg/],
  ["a formula holding an escaped entity", /formula shows an entity or the micro sign/],
  ["a formula holding the micro sign", /formula shows an entity or the micro sign: .*µ/],
  ["a formula with an merror", /math error: undefined/],
  ["a table number allowed to wrap", /a number in a table wraps onto two lines: "1\.54×10⁻⁴³ – 8\.13×10⁻⁴³"/],
  ["a code block that cannot wrap", /code block scrolls sideways at 1280 px: "let self_test/],
  ["a table wider than the column", /table wider than the text column at 1280 px: "self-test"/],
];

/** Copies the book into a temporary folder and breaks `page` on purpose;
 * returns the folder. */
function brokenCopy(book, page) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-check-self-test-"));
  fs.cpSync(book, dir, { recursive: true });
  const figures = path.join(dir, "figures");
  const svgs = fs.readdirSync(figures, { recursive: true }).filter((f) => f.endsWith(".svg"));
  if (svgs.length === 0) die(`${figures} holds no SVG figure to break`);
  const svg = fs.readFileSync(path.join(figures, svgs[0]), "utf8");
  fs.mkdirSync(path.join(figures, "self-test"));
  const third = svg.replace(/font-size="([\d.]+)"/g, (_, px) => `font-size="${(Number(px) / 3).toFixed(2)}"`);
  fs.writeFileSync(path.join(figures, "self-test", "small.svg"), third);
  fs.writeFileSync(path.join(figures, "self-test", "white.svg"), svg);
  const breaks = `
<figure><img src="figures/self-test/small.svg" alt="self-test"></figure>
<figure><img src="figures/self-test/white.svg" alt="self-test" style="filter: none; mix-blend-mode: normal"></figure>
<p><math><mtext>&amp;nbsp;</mtext></math> <math><mi>\u00b5</mi></math>
<math><merror><mtext>undefined</mtext></merror></math></p>
<table style="width: 2000px"><tr><th>self-test</th></tr></table>
<table><tr><td style="white-space: normal; display: block; width: 3em">1.54×10⁻⁴³ – 8.13×10⁻⁴³</td></tr></table>
<pre><code style="white-space: pre">let self_test = "${"a line far too long for the column ".repeat(6)}";</code></pre>
`;
  const file = path.join(dir, page);
  const html = fs.readFileSync(file, "utf8");
  if (!/<main>/.test(html)) die(`${page} has no <main> to break`);
  fs.writeFileSync(file, html.replace("<main>", `<main>${breaks}`));
  return dir;
}

// ---------------------------------------------------------------- main

const selfTestReports = [];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CHROMIUM)) die(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM)`);
  let { pages, first } = bookPages(opts.book);
  if (opts.selfTest) {
    opts.book = brokenCopy(opts.book, first);
    pages = [first];
  }
  if (opts.screenshots) fs.mkdirSync(opts.screenshots, { recursive: true });

  const started = Date.now();
  const server = await serve(opts.book);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "browser-check-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: "block",
  });

  let failed = 0;
  try {
    // The pages are checked side by side (each in its own tab), and reported in order.
    const results = await Promise.all(pages.map((name) =>
      checkPage(context, origin, name, first, opts.screenshots).catch((err) => (
        { problems: [`could not check: ${err.message.split("\n")[0]}`], summary: "" }))));
    pages.forEach((name, i) => {
      const result = results[i];
      selfTestReports.push(...result.problems);
      if (result.problems.length === 0) {
        console.log(`OK   ${name}  (${result.summary})`);
      } else {
        failed++;
        console.log(`FAIL ${name}: ${result.problems.length} problem(s)`);
        for (const p of result.problems) console.log(`       - ${p}`);
      }
    });
  } finally {
    await context.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (opts.selfTest) {
    fs.rmSync(opts.book, { recursive: true, force: true });
    const reported = selfTestReports.join("\n");
    let missed = 0;
    for (const [what, report] of BREAKS) {
      const seen = report.test(reported);
      if (!seen) missed++;
      console.log(`${seen ? "caught" : "MISSED"}  ${what}`);
    }
    console.log(`browser-check --self-test: ${BREAKS.length - missed} of ${BREAKS.length} breaks reported, ${seconds} s`);
    process.exit(missed ? 1 : 0);
  }
  // The live figures, from disk with the network off, two pages at a time
  // (each computes on one thread; the times are those of a machine whose
  // other core is busy too).
  const liveStarted = Date.now();
  const offline = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  let liveFigures = 0;
  try {
    const context = await offline.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const results = new Array(pages.length);
    let next = 0;
    const lane = async () => {
      while (next < pages.length) {
        const i = next++;
        results[i] = await checkLive(context, opts.book, pages[i]).catch((err) => (
          { problems: [`could not check: ${err.message.split("\n")[0]}`], count: 1, timings: [], scripts: [] }));
      }
    };
    await Promise.all([lane(), lane()]);
    for (const [i, name] of pages.entries()) {
      const result = results[i];
      if (result.count === 0) continue;
      liveFigures += result.count;
      const module = result.scripts.map((s) => {
        const file = path.join(opts.book, path.basename(new URL(s).pathname));
        return `${path.basename(file)} ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`;
      }).join(", ");
      if (result.problems.length === 0) {
        console.log(`OK   ${name} live: ${result.timings.join("; ")} (${module})`);
      } else {
        failed++;
        console.log(`FAIL ${name} live: ${result.problems.length} problem(s)`);
        for (const p of result.problems) console.log(`       - ${p}`);
      }
    }
  } finally {
    await offline.close();
  }
  console.log(`browser-check: ${liveFigures} live figures from file://, ${((Date.now() - liveStarted) / 1000).toFixed(1)} s`);
  // The other build (no relaxed SIMD) at the book's values, on the chapters
  // whose figures it draws in seconds: the same figures byte for byte.
  const plainOffline = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await plainOffline.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    for (const name of PLAIN_PAGES.filter((p) => pages.includes(p))) {
      const result = await checkLive(context, opts.book, name, true).catch((err) => (
        { problems: [`could not check: ${err.message.split("\n")[0]}`], timings: [], scripts: [] }));
      const loaded = result.scripts.map((s) => path.basename(new URL(s).pathname)).join(", ");
      if (loaded !== "live-module.js") result.problems.push(`loaded ${loaded || "no module"} instead of live-module.js`);
      if (result.problems.length === 0) {
        console.log(`OK   ${name} live, without relaxed SIMD: ${result.timings.join("; ")}`);
      } else {
        failed++;
        console.log(`FAIL ${name} live, without relaxed SIMD: ${result.problems.length} problem(s)`);
        for (const p of result.problems) console.log(`       - ${p}`);
      }
    }
  } finally {
    await plainOffline.close();
  }
  const shots = opts.screenshots ? `; screenshots in ${opts.screenshots}` : "";
  console.log(`browser-check: ${pages.length} pages, ${failed} failed, ${seconds} s${shots}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => die(err.stack || String(err)));
