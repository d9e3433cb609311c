// gen-proto.js — writes gen/danmaku-proto.js (the text of ../proto/danmaku.proto as an ES
// module) so the client parses the one schema of the repository at run time, in Node and in
// the browser bundle alike. gen/ is build output: never committed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, '..', '..', 'proto', 'danmaku.proto');
const out = path.join(here, '..', 'gen', 'danmaku-proto.js');
const text = fs.readFileSync(src, 'utf8');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, '// generated from proto/danmaku.proto by web/scripts/gen-proto.js\n' +
  'export default ' + JSON.stringify(text) + ';\n');
