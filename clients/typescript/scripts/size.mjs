// Prints the size of each entry as an app's bundler ships it: bundled, minified (esbuild) and
// gzipped (level 9). React is not counted: the app has it anyway.
// `node scripts/size.mjs --max 6144` fails when the client's entry is larger than that.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const entries = { "@latchkey/client": "src/index.ts", "@latchkey/client/react": "src/react.ts" };
const at = process.argv.indexOf("--max");
const max = at > 0 ? Number(process.argv[at + 1]) : Infinity;
let failed = false;
for (const [name, entry] of Object.entries(entries)) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    external: ["react"],
  });
  const code = out.outputFiles[0].contents;
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(`${name}: ${code.length} B minified, ${gz} B minified+gzipped`);
  if (name === "@latchkey/client" && gz > max) {
    console.error(`${name} is over ${max} B minified+gzipped`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
