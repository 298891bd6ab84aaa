import { runServer } from "./main.js";

const code = await runServer(process.argv.slice(2));
process.exitCode = code;
// Everything the node opened is closed by now; a plugin's leftover timer or socket (or a register that never settled)
// must not keep the process alive past a short grace period.
setTimeout(() => process.exit(code), 2_000).unref();
