/** Signature help: the instruction's signature with the flag or argument under the cursor active. */
import assert from 'node:assert/strict';
import { signatureHelp, signatureOf } from '../src/signature-help.js';
import { setup } from './helpers.js';

/** The signature label with the active parameter in «», or undefined when there is no help. */
async function active(marked: string): Promise<string | undefined> {
  const { analysis, position } = await setup(marked);
  const help = signatureHelp(analysis, position);
  if (!help) return undefined;
  const signature = help.signatures[help.activeSignature ?? 0];
  const parameter = help.activeParameter === undefined || help.activeParameter === null ? undefined : signature.parameters?.[help.activeParameter];
  if (!parameter) return signature.label;
  const [start, end] = parameter.label as [number, number];
  return `${signature.label.slice(0, start)}«${signature.label.slice(start, end)}»${signature.label.slice(end)}`;
}

/** Just the active parameter's text. */
async function activeParameter(marked: string): Promise<string | undefined> {
  return /«(.*)»/.exec((await active(marked)) ?? '')?.[1];
}

describe('signature help', () => {
  it('FROM has its platform flag, image and stage name', async () => {
    assert.equal(signatureOf('FROM').label, 'FROM [--platform=<platform>] <image> [AS <name>]');
  });

  it('COPY lists its flags from the grammar table', async () => {
    assert.equal(signatureOf('COPY').label, 'COPY [--from=<image>] [--chown=<user:group>] [--chmod=<perms>] [--link] [--exclude=<pattern>]... [--parents] <src>... <dest>');
  });

  it('APPCMDS takes an app and a JSON command', async () => {
    assert.equal(signatureOf('APPCMDS').label, 'APPCMDS <app> ["cmd", ...]');
  });

  it('the image is active after FROM ', async () => {
    assert.equal(await activeParameter('FROM |'), '<image>');
  });

  it('the platform flag is active inside its value', async () => {
    assert.equal(await activeParameter('FROM --platform=linux/|'), '[--platform=<platform>]');
  });

  it('the image is active after the flag', async () => {
    assert.equal(await activeParameter('FROM --platform=linux/amd64 kube|'), '<image>');
  });

  it('the stage name is active after the image', async () => {
    assert.equal(await activeParameter('FROM base AS |'), '[AS <name>]');
  });

  it('the --chmod flag is active while its value is typed', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY --chmod=07|'), '[--chmod=<perms>]');
  });

  it('a flag parameter is documented', async () => {
    const { analysis, position } = await setup('FROM scratch\nCOPY --chmod=|');
    const help = signatureHelp(analysis, position);
    assert.match(JSON.stringify(help?.signatures[0].parameters?.[help.activeParameter ?? -1]?.documentation), /Permissions of the copied files/);
  });

  it('a flag being named activates the first flag it may be', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY --ch|'), '[--chown=<user:group>]');
  });

  it('the first COPY word is a source', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY a|'), '<src>...');
  });

  it('a new word after a source is the destination', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY a |'), '<dest>');
  });

  it('a middle word of three is a source', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY a b| c'), '<src>...');
  });

  it('the last of three words is the destination', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY a b c|'), '<dest>');
  });

  it('a COPY on continuation lines counts its words across them', async () => {
    assert.equal(await activeParameter('FROM scratch\nCOPY a \\\n  b \\\n  |'), '<dest>');
  });

  it('the APP source after the name', async () => {
    assert.equal(await activeParameter('FROM scratch\nAPP nginx local://|'), '<src>...');
  });

  it('the APPCMDS command inside the array', async () => {
    assert.equal(await activeParameter('FROM scratch\nAPP a local://a.yaml\nAPPCMDS a ["kubectl", |'), '["cmd", ...]');
  });

  it('ENV pairs are one repeated parameter', async () => {
    assert.equal(await activeParameter('FROM scratch\nENV A=1 B=|'), '<name>=<value> ...');
  });

  it('no help on the keyword', async () => {
    assert.equal(await active('FRO|M scratch'), undefined);
  });

  it('no help in a heredoc body', async () => {
    assert.equal(await active('FROM scratch\nRUN <<EOF\necho |\nEOF'), undefined);
  });

  it('no help for an unknown instruction', async () => {
    assert.equal(await active('FROM scratch\nWORKDIR |'), undefined);
  });
});
