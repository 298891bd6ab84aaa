// Consumers that compile this package from source (dicomtls-source) need the dcmjs declarations too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module file cannot be imported
/// <reference path="../dcmjs.d.ts" />
import dcmjs from "dcmjs";

/**
 * dcmjs, with its loggers silenced once when this module loads. The validation logger is separate from the main
 * one (js-stack.md §2); left on, it prints "Invalid vr type" for every private element of every dataset.
 */
dcmjs.log.setLevel("silent");
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");

export { dcmjs };
