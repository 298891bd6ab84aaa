export * from "./dataset/index.js";
export * from "./codec/index.js";
