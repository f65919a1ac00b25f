#!/usr/bin/env node
// Bundles the web UI (ui/src/app.ts with cytoscape) into dist/ui with esbuild; `npm run build` runs it.
// No CDN and no dev server: the control plane serves these files.
const { build } = require('esbuild');
const { copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'ui');
mkdirSync(out, { recursive: true });
build({
  entryPoints: [join(root, 'ui', 'src', 'app.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2020'],
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
})
  .then(() => {
    for (const f of ['index.html', 'app.css']) copyFileSync(join(root, 'ui', f), join(out, f));
    process.stdout.write(`web UI built into ${out}\n`);
  })
  .catch(() => process.exit(1));
