export * from "./fsm/index.js";
