import { runServer } from "./main.js";

process.exitCode = await runServer(process.argv.slice(2));
