// Builds dist/: ESM bundles of the client and of its React binding (esbuild; React stays an
// import), and their type declarations (tsc).
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { index: "src/index.ts", react: "src/react.ts" },
  outdir: "dist",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  // The binding imports the client from the package itself, so that an app has one copy of it.
  external: ["react", "./index.js"],
  sourcemap: true,
});
execFileSync("npx", ["tsc", "-p", "."], { stdio: "inherit" });
console.log("built dist/");
