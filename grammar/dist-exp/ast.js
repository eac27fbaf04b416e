export function isKnown(instruction) {
    return !('unknown' in instruction);
}
/** Narrows an instruction to the node type of one keyword. */
export function isInstruction(instruction, keyword) {
    return instruction.keyword === keyword && isKnown(instruction);
}
//# sourceMappingURL=ast.js.map