/**
 * `completionItem/resolve`: completion answers carry only what the list shows (label, kind, the
 * edit and `data`); the documentation of the item the user selects is added here, so a list of
 * every keyword or variable does not render every doc up front.
 */
import { isKeyword } from '@kubefile/grammar';
import type { CompletionItem } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { variablesAt, type CompletionData } from './completion.js';
import { variableDoc } from './hover.js';
import { FLAG_DOCS, instructionDoc } from './instruction-docs.js';
import { MarkupKind } from './languageserver.js';

/** The item with its documentation; unchanged when its `data` is not one of ours. */
export function resolveCompletion(analysis: Analysis, item: CompletionItem): CompletionItem {
  const data = completionData(item.data);
  if (!data) return item;
  switch (data.kind) {
    case 'keyword':
      return { ...item, documentation: { kind: MarkupKind.Markdown, value: instructionDoc(data.keyword) } };
    case 'flag': {
      const doc = FLAG_DOCS[data.flag];
      return doc ? { ...item, documentation: { kind: MarkupKind.Markdown, value: doc } } : item;
    }
    case 'variable': {
      const variable = variablesAt(analysis, data.offset).get(data.name);
      return { ...item, documentation: { kind: MarkupKind.Markdown, value: variableDoc(data.name, variable) } };
    }
  }
}

/** `data` as the client sent it back: JSON of unknown shape (another version of the server may have made it). */
export function completionData(data: unknown): CompletionData | undefined {
  if (typeof data !== 'object' || data === null || !('kind' in data)) return undefined;
  const record = data as Record<string, unknown>;
  if (record.kind === 'keyword' && typeof record.keyword === 'string' && isKeyword(record.keyword)) return { kind: 'keyword', keyword: record.keyword };
  if (record.kind === 'flag' && typeof record.flag === 'string') return { kind: 'flag', flag: record.flag };
  if (record.kind === 'variable' && typeof record.name === 'string' && typeof record.offset === 'number') return { kind: 'variable', name: record.name, offset: record.offset };
  return undefined;
}
