export { main, type CliIo } from "./main.js";
export { writeDevPki, type DevPkiFiles } from "./commands/dev-pki.js";
