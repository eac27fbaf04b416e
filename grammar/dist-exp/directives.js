export const KNOWN_DIRECTIVES = ['syntax', 'escape', 'check'];
const DIRECTIVE = /^#[ \t\v\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\v\f\r]*=[ \t\v\f\r]*(.+?)[ \t\v\f\r]*$/;
export function scanDirectives(text) {
    const directives = [];
    const problems = [];
    let escape = '\\';
    let lineStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (lineStart < text.length) {
        let lineEnd = text.indexOf('\n', lineStart);
        if (lineEnd === -1)
            lineEnd = text.length;
        let contentEnd = lineEnd;
        if (contentEnd > lineStart && text.charCodeAt(contentEnd - 1) === 13)
            contentEnd--;
        let start = lineStart;
        while (start < contentEnd && isBlank(text.charCodeAt(start)))
            start++;
        const line = text.slice(start, contentEnd);
        const match = DIRECTIVE.exec(line);
        if (!match)
            break;
        const name = match[1].toLowerCase();
        if (!KNOWN_DIRECTIVES.includes(name))
            break;
        const nameStart = start + line.indexOf(match[1]);
        const valueStart = start + line.indexOf(match[2], nameStart - start + match[1].length);
        const directive = {
            name,
            value: match[2],
            span: { start, end: contentEnd },
            nameSpan: { start: nameStart, end: nameStart + match[1].length },
            valueSpan: { start: valueStart, end: valueStart + match[2].length },
        };
        if (directives.some((d) => d.name === name)) {
            problems.push({
                kind: 'duplicate-directive',
                message: `only one ${name} parser directive can be used`,
                span: directive.span,
            });
        }
        else if (name === 'escape' && match[2] !== '\\' && match[2] !== '`') {
            problems.push({
                kind: 'invalid-escape',
                message: `invalid escape token '${match[2]}' does not match \` or \\`,
                span: directive.valueSpan,
            });
            directives.push(directive);
        }
        else {
            if (name === 'escape')
                escape = match[2];
            directives.push(directive);
        }
        lineStart = lineEnd + 1;
    }
    return { directives, escape, problems };
}
function isBlank(code) {
    return code === 32 || code === 9 || code === 11 || code === 12 || code === 13;
}
//# sourceMappingURL=directives.js.map