export { echo, type EchoOptions, type EchoResponse, type EchoResult } from "./echo.js";
