#!/usr/bin/env node
// dicomtls-server CONFIG (built output; run `pnpm build` first).
import "../dist/bin.js";
