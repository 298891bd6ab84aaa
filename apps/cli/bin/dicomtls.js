#!/usr/bin/env node
// The dicomtls command line (built output; run `pnpm build` first).
import "../dist/bin.js";
