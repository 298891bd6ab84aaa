// The context helpers live in the association package, shared with the C-MOVE / C-GET SCP; scu keeps its exports.
export { MAX_PRESENTATION_CONTEXTS, canConvert, chooseContext, contextsForSopClass, groupContexts, type ContextGroup } from "@dicomtls/association";
