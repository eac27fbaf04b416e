/**
 * End to end with a client nobody here wrote: headless neovim (Debian's package) and its built-in
 * LSP client start our server, open a Kubefile with an error, and a Lua script writes back what
 * neovim received: diagnostics, a completion list and a formatting result.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_BIN } from './client.js';

interface NeovimReport {
  diagnostics: { lnum: number; col: number; message: string; code?: string; severity: number }[];
  completion: string[];
  formatted: string[];
}

function neovimVersion(): string {
  try {
    return execFileSync('nvim', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('neovim is not installed; this end-to-end test needs it: apt-get install -y neovim (scripts/install-system-deps.sh does it)');
  }
}

/** Lua for neovim 0.7+: start the server for the buffer, wait for diagnostics, ask for completion and formatting. */
function script(out: string): string {
  return `
local out = ${JSON.stringify(out)}
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({ name = 'kubefile', cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(SERVER_BIN)}, '--stdio' }, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(buf, client_id)
local function finish(report)
  local file = io.open(out, 'w')
  file:write(vim.fn.json_encode(report))
  file:close()
  vim.cmd('qa!')
end
vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(diagnostics, { lnum = d.lnum, col = d.col, message = d.message, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code), severity = d.severity })
end
local uri = vim.uri_from_bufnr(buf)
local completion = {}
local result = vim.lsp.buf_request_sync(buf, 'textDocument/completion', { textDocument = { uri = uri }, position = { line = 2, character = 2 } }, 10000)
for _, response in pairs(result or {}) do
  local items = response.result and (response.result.items or response.result) or {}
  for _, item in ipairs(items) do table.insert(completion, item.label) end
end
local formatted = {}
local edits = vim.lsp.buf_request_sync(buf, 'textDocument/formatting', { textDocument = { uri = uri }, options = { tabSize = 4, insertSpaces = true } }, 10000)
for _, response in pairs(edits or {}) do
  if response.result then vim.lsp.util.apply_text_edits(response.result, buf, 'utf-16') end
end
formatted = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
finish({ diagnostics = diagnostics, completion = completion, formatted = formatted })
`;
}

describe('language server in neovim (end to end)', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => neovimVersion());
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'kubefile-nvim-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('shows our diagnostics, completes keywords and formats, as neovim received them', async () => {
    const kubefile = join(dir, 'Kubefile');
    await writeFile(kubefile, 'from scratch\nCOPPY a.yaml manifests\nCO\n');
    await writeFile(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
    const out = join(dir, 'report.json');
    await writeFile(join(dir, 'check.lua'), script(out));
    await new Promise<void>((resolve, reject) => {
      execFile('nvim', ['--headless', '--clean', '-c', 'set filetype=kubefile', '-c', `luafile ${join(dir, 'check.lua')}`, kubefile], { cwd: dir, timeout: 50_000 }, (error) => (error ? reject(error) : resolve()));
    });
    const report = JSON.parse(await readFile(out, 'utf8')) as NeovimReport;
    const unknown = report.diagnostics.find((d) => d.lnum === 1);
    assert.ok(unknown, JSON.stringify(report.diagnostics));
    assert.equal(unknown.message, 'unknown instruction: COPPY (did you mean COPY?)');
    assert.equal(unknown.col, 0);
    assert.ok(report.completion.includes('COPY'), `completion: ${report.completion.join(' ')}`);
    assert.equal(report.formatted[0], 'FROM scratch');
  });
});
