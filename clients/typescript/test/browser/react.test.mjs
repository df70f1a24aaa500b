// The React binding in Chromium: useSession follows sign-in, another tab's state and sign-out.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { launch, serveStatic, verifiedUser } from "../support/browser.mjs";
import { PASSWORD, mail, startServer } from "../support/server.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
let browser, pages, server;

before(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("react-app.jsx", import.meta.url))],
    bundle: true,
    format: "esm",
    jsx: "automatic",
    write: false,
    define: { "process.env.NODE_ENV": '"production"' },
    alias: { "@latchkey/client/react": `${root}/dist/react.js`, "@latchkey/client": `${root}/dist/index.js` },
  });
  pages = await serveStatic(root, {
    "/react.html": '<!doctype html><meta charset="utf-8"><title>react</title><div id="root"></div><script type="module" src="/react.js"></script>',
    "/react.js": bundle.outputFiles[0].contents,
  });
  server = await startServer({ LATCHKEY_CORS_ORIGINS: pages.origin });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  pages?.close();
  await server?.stop();
});

test("useSession renders the session as it changes, in every tab", async () => {
  const email = await verifiedUser(server, `react-${process.pid}@example.com`, PASSWORD, mail);
  const context = await browser.newContext();
  const url = `${pages.origin}/react.html?${new URLSearchParams({ latchkey: server.url, email, password: PASSWORD })}`;
  const a = await context.newPage();
  await a.goto(url);
  const status = (page) => page.textContent("#status");
  await a.waitForFunction(() => document.querySelector("#status")?.textContent === "signed out");
  await a.click("text=Sign in");
  await a.waitForFunction(() => document.querySelector("#status")?.textContent.startsWith("signed in"));
  assert.equal(await status(a), `signed in as ${email}`);
  const b = await context.newPage();
  await b.goto(url);
  await b.waitForFunction(() => document.querySelector("#status")?.textContent.startsWith("signed in"));
  await b.click("text=Sign out");
  await a.waitForFunction(() => document.querySelector("#status")?.textContent === "signed out");
  assert.equal(await status(b), "signed out");
  await context.close();
});
