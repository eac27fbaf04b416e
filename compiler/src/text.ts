/**
 * UTF-8 encoding for the pure packages. TextEncoder/TextDecoder exist in every runtime we target
 * (Node, browsers, workers) but are not in the ES library typings, so they are declared here.
 */
declare const TextEncoder: new () => { encode(text: string): Uint8Array };
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
