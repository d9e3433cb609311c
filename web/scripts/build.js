// build.js — the browser build, into dist/ (build output, never committed):
//   dist/danmaku-client.js  the client library as one ES module (protobufjs and the zstd
//                           decoder bundled in), for pages that bring their own UI;
//   dist/viewer.js + page/* the viewer page the edge serves at / and /rooms/{room};
//   dist/zstd.wasm          the zstd decoder, loaded beside either bundle.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(here, 'dist');
const require = createRequire(import.meta.url);
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });

const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true,
  sourcemap: true, legalComments: 'linked', logLevel: 'warning' };
await esbuild.build({ ...common, entryPoints: [path.join(here, 'src', 'client.js')],
  outfile: path.join(dist, 'danmaku-client.js') });
const page = path.join(here, 'page');
if (fs.existsSync(path.join(page, 'main.js'))) {
  await esbuild.build({ ...common, entryPoints: [path.join(page, 'main.js')], outfile: path.join(dist, 'viewer.js') });
  for (const f of fs.readdirSync(page)) if (!f.endsWith('.js')) fs.copyFileSync(path.join(page, f), path.join(dist, f));
}
// the package exports no ./package.json: find its directory from its node entry point
const wasm = path.join(path.dirname(require.resolve('@bokuweb/zstd-wasm')), '..', 'web', 'zstd.wasm');
fs.copyFileSync(wasm, path.join(dist, 'zstd.wasm'));
for (const f of fs.readdirSync(dist)) console.log(`  ${f.padEnd(28)} ${fs.statSync(path.join(dist, f)).size} bytes`);
