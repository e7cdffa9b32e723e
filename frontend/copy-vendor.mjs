// Copy the pinned browser libraries from node_modules into the package's static folder (served at
// /static/vendor/...). Run after `npm ci`; the Makefile's install step does both. No CDN is ever used.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const out = join(here, "..", "src", "gridgov", "web", "static", "vendor");
const mod = (name) => join(here, "node_modules", name);

const files = [
  ["leaflet/dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet/dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet/dist/images", "leaflet/images"],
  ["leaflet/LICENSE", "leaflet/LICENSE"],
  ["leaflet.heat/dist/leaflet-heat.js", "leaflet.heat/leaflet-heat.js"],
  ["leaflet.heat/LICENSE", "leaflet.heat/LICENSE"],
  ["echarts/dist/echarts.min.js", "echarts/echarts.min.js"],
  ["echarts/LICENSE", "echarts/LICENSE"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/favicon-32x32.png", "swagger-ui/favicon-32x32.png"],
  ["swagger-ui-dist/LICENSE", "swagger-ui/LICENSE"],
];

rmSync(out, { recursive: true, force: true });
const versions = {};
for (const [from, to] of files) {
  const src = mod(from);
  if (!existsSync(src)) {
    if (from.endsWith("LICENSE")) continue; // not every package ships one
    console.error(`缺少 ${src}：请先在 frontend/ 运行 npm ci`);
    process.exit(1);
  }
  const dest = join(out, to);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
}
for (const name of ["leaflet", "leaflet.heat", "echarts", "swagger-ui-dist"]) {
  versions[name] = require(join(mod(name), "package.json")).version;
}
writeFileSync(join(out, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`vendor → ${out}: ${JSON.stringify(versions)}`);
